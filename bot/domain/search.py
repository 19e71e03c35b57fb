"""Full-text search: the query as data, and what a search returns. Parsing is in `parse_query`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.errors import InvalidInput
from bot.domain.vocab import Tlp

HIT_START = "\x02"  # snippet markers: storage puts them around matched words;
HIT_END = "\x03"  # the renderer escapes the text, then turns them into <b></b>.
CANDIDATES = 500  # updates ranked per query: the newest matches, so common words stay fast


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Words (each matched as a word prefix-free token), quoted phrases and groups of names, all required."""

    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    # Each group is required too, but any one of its names will do (a country's names in the EU languages).
    any_of: tuple[tuple[str, ...], ...] = ()
    countries: tuple[str, ...] = ()  # the countries those groups name: their initiatives match too

    @property
    def words(self) -> SearchQuery:
        """The words and phrases alone, without the countries' names."""
        return SearchQuery(self.terms, self.phrases)

    @property
    def empty(self) -> bool:
        """Nothing searchable was typed."""
        return not self.terms and not self.phrases and not self.any_of


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One match: an initiative, or an update on one, with a snippet carrying HIT markers."""

    kind: str  # "initiative" or "update"
    id: int
    initiative_id: int
    initiative_ref: str
    initiative_title: str
    snippet: str
    tlp: Tlp | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class SearchResults:
    """A page of update hits (ranked), the best initiative hits, and how many of each matched."""

    initiatives: Sequence[SearchHit]
    updates: Sequence[SearchHit]
    total_updates: int
    capped: bool
    total_initiatives: int = 0


class SearchTooBroad(InvalidInput):
    """The query would take longer than its time budget: nothing was found, a narrower query will be."""

    message_id = "search.too_broad"
