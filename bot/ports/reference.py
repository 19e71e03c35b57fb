"""What the working party follows: reference data, initiatives, events, full-text search."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from bot.domain.access import Visibility
from bot.domain.model import (
    Country,
    Delegation,
    Event,
    Initiative,
    InitiativeHeadline,
    Region,
    SeedReport,
)
from bot.domain.search import SearchQuery, SearchResults
from bot.domain.seed import SeedData
from bot.domain.specs import EventSpec, InitiativeFilter, InitiativeSpec


class CatalogRepository(Protocol):
    """Reference data: delegations, countries, regions, organisations, instruments."""

    async def delegations(self) -> Sequence[Delegation]: ...

    async def delegation(self, code: str) -> Delegation | None: ...

    async def country(self, code: str) -> Country | None: ...

    async def countries(self) -> Sequence[Country]: ...

    async def organisation_names(self) -> dict[str, str]: ...

    async def instrument_names(self) -> dict[str, str]: ...

    async def regions(self) -> Sequence[Region]: ...

    async def apply_seed(
        self, seed: SeedData, countries: Sequence[Country], now: dt.datetime
    ) -> SeedReport: ...


class InitiativeRepository(Protocol):
    """Initiatives: by reference or id, filtered pages, a country's, saved from a spec."""

    async def by_ref(self, ref: str) -> Initiative | None: ...

    async def by_id(self, initiative_id: int) -> Initiative | None: ...

    async def count(self) -> int: ...

    async def page(
        self, where: InitiativeFilter, offset: int, limit: int, visibility: Visibility
    ) -> tuple[Sequence[InitiativeHeadline], int]: ...

    async def for_country(
        self, code: str, region_keys: Sequence[str], visibility: Visibility
    ) -> Sequence[Initiative]: ...

    async def ids_for_country(
        self, code: str, region_keys: Sequence[str], visibility: Visibility
    ) -> list[int]: ...

    async def headlines(self, ids: Sequence[int]) -> Sequence[InitiativeHeadline]: ...

    async def save(
        self, spec: InitiativeSpec, now: dt.datetime, initiative_id: int | None = None
    ) -> Initiative: ...

    async def all(self) -> Sequence[Initiative]: ...


class EventRepository(Protocol):
    """Events: upcoming ones, and saved from a spec."""

    async def between(
        self,
        start: dt.datetime,
        end: dt.datetime,
        country: str | None = None,
        initiative_ids: Sequence[int] = (),
    ) -> Sequence[Event]: ...

    async def save(self, spec: EventSpec) -> tuple[Event, bool]: ...

    async def all(self) -> Sequence[Event]: ...


class SearchRepository(Protocol):
    """Full-text search over initiatives and the updates a viewer may read."""

    async def search(
        self,
        query: SearchQuery,
        visibility: Visibility,
        offset: int,
        limit: int,
        time_limit: dt.timedelta | None = None,
    ) -> SearchResults: ...
