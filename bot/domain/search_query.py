"""What a person typed after /search, as a `SearchQuery`: words and quoted phrases, never syntax."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import replace

from bot.domain.country_index import CountryIndex
from bot.domain.model import Country
from bot.domain.search import SearchQuery

MAX_TERMS = 12  # words in all, phrases' words included
MAX_TERM_CHARS = 64
QUOTES = frozenset('"“”„')  # Telegram clients often turn " into typographic quotes


def parse_query(text: str) -> SearchQuery:
    """Words are runs of letters and digits; a double-quoted run of two or more words is a phrase.

    Everything else (operators, `*`, `^`, `:`, parentheses, stray quotes, punctuation) only
    separates words. Words are lower-cased, not case-folded: the engines fold case themselves and
    keep `ß` and ligatures, which `casefold` would turn into letters no index holds.
    """
    terms: list[str] = []
    phrases: list[tuple[str, ...]] = []
    budget = MAX_TERMS
    for quoted, segment in _segments(unicodedata.normalize("NFC", text)):
        words = _words(segment, budget)
        budget -= len(words)
        if quoted and len(words) > 1:
            if words not in phrases:
                phrases.append(words)
        else:
            for word in words:
                if word not in terms:
                    terms.append(word)
        if budget <= 0:
            break
    return SearchQuery(terms=tuple(terms), phrases=tuple(phrases))


def _segments(text: str) -> Iterator[tuple[bool, str]]:
    """(quoted, text) pieces in order; a quote with no partner is plain text."""
    start = 0
    while start < len(text):
        opening = _next_quote(text, start)
        closing = _next_quote(text, opening + 1) if opening < len(text) else len(text)
        if closing >= len(text):
            yield False, text[start:]
            return
        yield False, text[start:opening]
        yield True, text[opening + 1 : closing]
        start = closing + 1


def _next_quote(text: str, start: int) -> int:
    for index in range(start, len(text)):
        if text[index] in QUOTES:
            return index
    return len(text)


def _words(segment: str, budget: int) -> tuple[str, ...]:
    """At most `budget` words: a letter or digit, then letters, digits and combining marks."""
    words: list[str] = []
    current: list[str] = []
    for char in [*segment, " "]:
        kind = unicodedata.category(char)[0]
        if kind in "LN" or (kind == "M" and current):
            current.append(char)
            continue
        if current:
            words.append("".join(current).lower()[:MAX_TERM_CHARS])
            current = []
            if len(words) >= budget:
                break
    return tuple(words)


def with_country_names(query: SearchQuery, index: CountryIndex) -> SearchQuery:
    """A word, or all the words, naming a country (exactly, in any EU language) match any of its names:
    `Türkiye` finds the EU-Turkey Statement, `Afrique du Sud` South Africa's initiatives."""
    whole = index.named(" ".join(query.terms)) if len(query.terms) > 1 else None
    if whole is not None:
        return replace(query, terms=(), any_of=(_names(whole),), countries=(whole.code,))
    terms, groups, codes = [], [], []
    for term in query.terms:
        country = index.named(term)
        if country is None:
            terms.append(term)
        elif country.code not in codes:
            groups.append(_names(country))
            codes.append(country.code)
    return replace(query, terms=tuple(terms), any_of=tuple(groups), countries=tuple(codes))


def _names(country: Country) -> tuple[str, ...]:
    names = {unicodedata.normalize("NFC", n).lower() for n in (country.name, *country.names.values())}
    return tuple(sorted(n for n in names if n.strip()))
