"""Writes the seed by natural keys so that a second run changes nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.domain.model import Country, SeedReport
from bot.domain.seed import SeedData, SeedInitiative
from storage.models import (
    Base,
    CountryRow,
    DelegationRow,
    InitiativeRow,
    InstrumentRow,
    OrganisationRow,
    RegionRow,
)

RowT = TypeVar("RowT", bound=Base)


class SeedWriter:
    """One seed run inside the caller's transaction."""

    def __init__(self, session: AsyncSession, now: dt.datetime) -> None:
        self._session = session
        self._now = now
        self._inserted: Counter[str] = Counter()
        self._created: set[int] = set()  # id() of rows this run inserted: their links are not "updates"
        self._updated: Counter[str] = Counter()

    async def apply(self, seed: SeedData, countries: Sequence[Country]) -> SeedReport:
        """Countries first (everything refers to them), then the reference data, then initiatives."""
        country_rows = await self._upsert(
            CountryRow, "code", [{"code": c.code, "name": c.name, "names": dict(c.names)} for c in countries]
        )
        await self._upsert(DelegationRow, "code", [d.model_dump(mode="json") for d in seed.delegations])
        orgs = await self._upsert(OrganisationRow, "key", [o.model_dump() for o in seed.organisations])
        instruments = await self._upsert(InstrumentRow, "key", [i.model_dump() for i in seed.instruments])
        regions = await self._upsert(
            RegionRow, "key", [r.model_dump(exclude={"countries"}) for r in seed.regions], RegionRow.countries
        )
        for spec in seed.regions:
            self._relink(regions[spec.key], "countries", [country_rows[c] for c in spec.countries], "regions")
        await self._initiatives(seed.initiatives, country_rows, regions, orgs, instruments)
        await self._session.flush()
        return SeedReport(inserted=dict(self._inserted), updated=dict(self._updated))

    async def _initiatives(
        self,
        specs: Iterable[SeedInitiative],
        countries: dict[str, CountryRow],
        regions: dict[str, RegionRow],
        orgs: dict[str, OrganisationRow],
        instruments: dict[str, InstrumentRow],
    ) -> None:
        fields = [
            {**s.model_dump(exclude={"countries", "regions", "partners", "instruments"})} for s in specs
        ]
        rows = await self._upsert(
            InitiativeRow,
            "ref",
            fields,
            InitiativeRow.countries,
            InitiativeRow.regions,
            InitiativeRow.partners,
            InitiativeRow.instruments,
            defaults={"created_at": self._now, "last_activity_at": self._now},
        )
        for spec in specs:
            row = rows[spec.ref]
            if id(row) in self._created:  # a seeded initiative's activity is its own date, not the install's
                row.last_activity_at = _activity(spec, self._now)
            self._relink(row, "countries", [countries[c] for c in spec.countries], "initiatives")
            self._relink(row, "regions", [regions[r] for r in spec.regions], "initiatives")
            self._relink(row, "partners", [orgs[p] for p in spec.partners], "initiatives")
            self._relink(row, "instruments", [instruments[i] for i in spec.instruments], "initiatives")

    async def _upsert(
        self,
        model: type[RowT],
        key: str,
        records: list[dict[str, Any]],
        *load: Any,
        defaults: dict[str, Any] | None = None,
    ) -> dict[str, RowT]:
        query = select(model).options(*(selectinload(rel) for rel in load))
        existing: dict[str, RowT] = {getattr(r, key): r for r in await self._session.scalars(query)}
        table = model.__tablename__
        for record in records:
            row = existing.get(record[key])
            if row is None:
                # New rows start with empty, loaded collections: no lazy load on first access.
                row = model(**{**(defaults or {}), **record}, **{rel.key: [] for rel in load})
                self._session.add(row)
                self._created.add(id(row))
                existing[record[key]] = row
                self._inserted[table] += 1
            elif any(getattr(row, name) != value for name, value in record.items()):
                for name, value in record.items():
                    setattr(row, name, value)
                self._updated[table] += 1
        await self._session.flush()
        return existing

    def _relink(self, row: Base, attribute: str, targets: list[Any], table: str) -> None:
        current = getattr(row, attribute)
        if {id(t) for t in current} != {id(t) for t in targets}:
            setattr(row, attribute, targets)
            if id(row) not in self._created:
                self._updated[table] += 1


def _activity(spec: SeedInitiative, now: dt.datetime) -> dt.datetime:
    if spec.start_date is not None:
        return dt.datetime.combine(spec.start_date, dt.time(), tzinfo=dt.UTC)
    if spec.year is not None:
        return dt.datetime(spec.year, 1, 1, tzinfo=dt.UTC)
    return now
