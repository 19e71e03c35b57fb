"""parse_query: what a person types becomes words and phrases, and nothing else."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.search import SearchQuery
from bot.domain.search_query import MAX_TERM_CHARS, MAX_TERMS, parse_query


@pytest.mark.parametrize(
    ("typed", "terms", "phrases"),
    [
        ("migration", ("migration",), ()),
        ("  Migration   POLICY ", ("migration", "policy"), ()),
        ('"return policy" Morocco', ("morocco",), (("return", "policy"),)),
        ("“return policy” „readmission agreement”", (), (("return", "policy"), ("readmission", "agreement"))),
        ('"morocco"', ("morocco",), ()),
        ('"unclosed phrase', ("unclosed", "phrase"), ()),
        ('a "b c" "d', ("a", "d"), (("b", "c"),)),
        ("AND OR NOT", ("and", "or", "not"), ()),
        ("NEAR(kestrel quokka, 2)", ("near", "kestrel", "quokka", "2"), ()),
        ("migr* ^title col:term -x +y", ("migr", "title", "col", "term", "x", "y"), ()),
        ("'); DROP TABLE updates; --", ("drop", "table", "updates"), ()),
        ("MP-MA-2013", ("mp", "ma", "2013"), ()),
        ("l'Europe", ("l", "europe"), ()),
        ("covid19 3.5", ("covid19", "3", "5"), ()),
        ("Société générale", ("société", "générale"), ()),
        ("Straße ﬁnance ΟΔΟΣ", ("straße", "ﬁnance", "οδος"), ()),
        ("Марокко 摩洛哥", ("марокко", "摩洛哥"), ()),
        ("Kestrel kestrel KESTREL", ("kestrel",), ()),
        ('"a b" "A B"', (), (("a", "b"),)),
        ("under_score", ("under", "score"), ()),
    ],
)
def test_words_and_phrases(typed: str, terms: tuple[str, ...], phrases: tuple[tuple[str, ...], ...]) -> None:
    assert parse_query(typed) == SearchQuery(terms, phrases)


@pytest.mark.parametrize(
    "typed", ["", "   ", '"', '""', "'", "*", "-", "^", ":", "()", "🦅🙂", "\x00\x02\x03", '" "']
)
def test_nothing_searchable(typed: str) -> None:
    assert parse_query(typed).empty


def test_decomposed_accents_are_composed_into_one_word() -> None:
    decomposed = unicodedata.normalize("NFD", "Société")
    assert parse_query(decomposed).terms == ("société",)


def test_at_most_twelve_words_phrases_included() -> None:
    query = parse_query('"w1 w2 w3 w4 w5" ' + " ".join(f"x{n}" for n in range(20)))
    assert query.phrases == (("w1", "w2", "w3", "w4", "w5"),)
    assert query.terms == tuple(f"x{n}" for n in range(MAX_TERMS - 5))


def test_long_words_are_cut() -> None:
    assert parse_query("k" * 10_000).terms == ("k" * MAX_TERM_CHARS,)


@given(st.text())
def test_any_text_gives_bounded_words_of_letters_and_digits(typed: str) -> None:
    query = parse_query(typed)
    words = [*query.terms, *(word for phrase in query.phrases for word in phrase)]
    assert len(words) <= MAX_TERMS
    assert len(set(query.terms)) == len(query.terms)
    assert all(len(phrase) > 1 for phrase in query.phrases)
    for word in words:
        assert 0 < len(word) <= MAX_TERM_CHARS
        assert unicodedata.category(word[0])[0] in "LN"
        assert all(unicodedata.category(char)[0] in "LNM" for char in word), word
