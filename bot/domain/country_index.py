"""Finding a country by ISO code or by its name in any EU language, tolerant of typos."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.domain.model import Country, Region

MIN_SCORE = 80.0
NEAR_SPELLING = 75.0  # fuzz.ratio of a typo ('Marocco', 'Lybia', 'Senegall')
CLEAR_LEAD = 6.0  # a fuzzy winner must beat the runner-up by this much, else we ask
ALIASES = {"UK": "GB", "EL": "GR"}  # EU usage beside ISO codes


def normalise(text: str) -> str:
    """Case, accents and punctuation folded: 'Côte d'Ivoire' → 'cote d ivoire'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def plausible(wanted: str, name: str) -> bool:
    """A fuzzy match worth offering: the name is spelt nearly alike, or shares a whole word of four
    letters or more ('Korea', 'Bosnia'); partial likeness alone ('Afrique du Nord' and 'Holy See') is not."""
    if fuzz.ratio(wanted, name) >= NEAR_SPELLING:
        return True
    return any(len(word) >= 4 and word in name.split() for word in wanted.split())


@dataclass(frozen=True, slots=True)
class CountryMatch:
    """The country found, or the candidates to choose from when the name is ambiguous."""

    country: Country | None
    candidates: tuple[Country, ...] = ()
    region: Region | None = None  # the name was a region's, not a country's


class CountryIndex:
    """Every name of every country, normalised, with a fuzzy fallback."""

    def __init__(self, countries: Iterable[Country]) -> None:
        self._by_code = {c.code: c for c in countries}
        self._names: list[str] = []
        self._codes: list[str] = []
        for country in self._by_code.values():
            for name in sorted({normalise(n) for n in (country.name, *country.names.values())}):
                self._names.append(name)
                self._codes.append(country.code)

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Country | None:
        """A country by ISO code."""
        return self._by_code.get(code.upper())

    def named(self, text: str) -> Country | None:
        """The one country with exactly this name in some language (case and accents aside), if any."""
        wanted = normalise(text)
        found = {c for n, c in zip(self._names, self._codes, strict=True) if n == wanted} if wanted else set()
        return self._by_code[found.pop()] if len(found) == 1 else None

    def find(self, text: str) -> CountryMatch:
        """Code, exact name in any language, then the closest names."""
        wanted = normalise(text)[:80]
        if not wanted:
            return CountryMatch(None)
        code = ALIASES.get(wanted.upper(), wanted.upper())
        if len(code) == 2 and code in self._by_code:
            return CountryMatch(self._by_code[code])
        exact = sorted({c for n, c in zip(self._names, self._codes, strict=True) if n == wanted})
        if exact:
            return self._decide([(c, 100.0) for c in exact])
        found = process.extract(wanted, self._names, scorer=fuzz.WRatio, limit=60, score_cutoff=MIN_SCORE)
        best: dict[str, float] = {}
        for name, score, index in found:
            if not plausible(wanted, name):
                continue
            best[self._codes[index]] = max(best.get(self._codes[index], 0.0), float(score))
        return self._decide(sorted(best.items(), key=lambda item: -item[1]))

    def _decide(self, ranked: Sequence[tuple[str, float]]) -> CountryMatch:
        if not ranked:
            return CountryMatch(None)
        if len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= CLEAR_LEAD:
            return CountryMatch(self._by_code[ranked[0][0]])
        close = [code for code, score in ranked if ranked[0][1] - score < CLEAR_LEAD][:6]
        return CountryMatch(None, tuple(self._by_code[c] for c in close))
