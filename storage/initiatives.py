"""Initiatives: filtered pages, a country's, and saving a spec with its links. Never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, exists, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.domain.access import Visibility
from bot.domain.model import Initiative, InitiativeHeadline
from bot.domain.specs import InitiativeFilter, InitiativeSpec
from storage import mapping
from storage.activity import latest_for
from storage.models import (
    CountryRow,
    InitiativeRow,
    InstrumentRow,
    OrganisationRow,
    RegionRow,
    initiative_countries,
    initiative_regions,
    region_countries,
)

LINKS = (
    selectinload(InitiativeRow.countries),
    selectinload(InitiativeRow.regions),
    selectinload(InitiativeRow.partners),
    selectinload(InitiativeRow.instruments),
)


class SqlInitiativeRepository:
    """Initiatives in the store."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_ref(self, ref: str) -> Initiative | None:
        """One initiative by its readable reference, case-insensitively."""
        row = await self._session.scalar(
            select(InitiativeRow).where(InitiativeRow.ref == ref.upper()).options(*LINKS)
        )
        return mapping.initiative(row) if row else None

    async def by_id(self, initiative_id: int) -> Initiative | None:
        """One initiative by id."""
        row = await self._session.scalar(
            select(InitiativeRow).where(InitiativeRow.id == initiative_id).options(*LINKS)
        )
        return mapping.initiative(row) if row else None

    async def count(self) -> int:
        """How many initiatives there are."""
        return int(await self._session.scalar(select(func.count()).select_from(InitiativeRow)) or 0)

    async def page(
        self, where: InitiativeFilter, offset: int, limit: int, visibility: Visibility
    ) -> tuple[Sequence[InitiativeHeadline], int]:
        """Newest activity the reader may read first; the page and the total that match."""
        query = _filtered(select(InitiativeRow.id), where)
        total = int(await self._session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        latest, joined = latest_for(visibility)
        if joined is not None:
            query = query.outerjoin(*joined)
        ids = list(
            await self._session.scalars(
                query.order_by(latest.desc(), InitiativeRow.id.desc()).offset(offset).limit(limit)
            )
        )
        return await self.headlines(ids), total

    async def headlines(self, ids: Sequence[int]) -> Sequence[InitiativeHeadline]:
        """The list lines of these initiatives, in the order given (one query, no links)."""
        if not ids:
            return []
        rows = await self._session.execute(
            select(
                InitiativeRow.id,
                InitiativeRow.ref,
                InitiativeRow.title,
                InitiativeRow.type,
                InitiativeRow.status,
                InitiativeRow.last_activity_at,
            ).where(InitiativeRow.id.in_(list(ids)))
        )
        by_id = {row.id: mapping.headline(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def for_country(
        self, code: str, region_keys: Sequence[str], visibility: Visibility
    ) -> Sequence[Initiative]:
        """Initiatives naming the country, then those of its regions, newest activity first."""
        return await self._in_order(await self.ids_for_country(code, region_keys, visibility))

    async def ids_for_country(
        self, code: str, region_keys: Sequence[str], visibility: Visibility
    ) -> list[int]:
        """Ids of the initiatives naming the country, then those of its regions, newest activity (that
        the reader may read) first."""
        # Two indexed lookups joined by UNION: an OR of two EXISTS would test every initiative.
        direct = select(initiative_countries.c.initiative_id).where(
            initiative_countries.c.country_code == code
        )
        regional = (
            select(initiative_regions.c.initiative_id)
            .join(RegionRow, RegionRow.id == initiative_regions.c.region_id)
            .where(RegionRow.key.in_(list(region_keys)))
        )
        latest, joined = latest_for(visibility)
        query = select(InitiativeRow.id).where(InitiativeRow.id.in_(union(direct, regional)))
        if joined is not None:
            query = query.outerjoin(*joined)
        return list(
            await self._session.scalars(
                query.order_by(InitiativeRow.id.in_(direct).desc(), latest.desc(), InitiativeRow.id.desc())
            )
        )

    async def all(self) -> Sequence[Initiative]:
        """Every initiative by reference (for export)."""
        rows = await self._session.scalars(select(InitiativeRow).options(*LINKS).order_by(InitiativeRow.ref))
        return [mapping.initiative(r) for r in rows]

    async def save(
        self, spec: InitiativeSpec, now: dt.datetime, initiative_id: int | None = None
    ) -> Initiative:
        """Insert (no id) or overwrite (id) an initiative; unknown codes and keys raise KeyError."""
        links = {
            "countries": await self._by_keys(CountryRow, CountryRow.code, spec.countries),
            "regions": await self._by_keys(RegionRow, RegionRow.key, spec.regions),
            "partners": await self._by_keys(OrganisationRow, OrganisationRow.key, spec.partners),
            "instruments": await self._by_keys(InstrumentRow, InstrumentRow.key, spec.instruments),
        }
        row = await self._row_for(
            spec, initiative_id, now
        )  # after the lookups: a new row is not flushed half-filled
        fields = {
            "ref": spec.ref,
            "title": spec.title,
            "type": spec.type.value,
            "status": spec.status.value,
            "lead": spec.lead,
            "funding": spec.funding,
            "year": spec.year,
            "start_date": spec.start_date,
            "end_date": spec.end_date,
            "source_url": spec.source_url,
            "notes": spec.notes,
        }
        for name, value in fields.items():
            setattr(row, name, value)
        for link, targets in links.items():
            setattr(row, link, targets)
        row.last_activity_at = now
        await self._session.flush()
        return mapping.initiative(row)

    async def _row_for(
        self, spec: InitiativeSpec, initiative_id: int | None, now: dt.datetime
    ) -> InitiativeRow:
        if initiative_id is None:
            row = InitiativeRow(
                created_at=now, last_activity_at=now, countries=[], regions=[], partners=[], instruments=[]
            )
            self._session.add(row)
            return row
        found = await self._session.scalar(
            select(InitiativeRow).where(InitiativeRow.id == initiative_id).options(*LINKS)
        )
        if found is None:
            raise KeyError(f"initiative {initiative_id}")
        return found

    async def _by_keys(self, model: Any, column: Any, keys: Sequence[str]) -> list[Any]:
        if not keys:
            return []
        rows = {
            getattr(r, column.key): r
            for r in await self._session.scalars(select(model).where(column.in_(keys)))
        }
        missing = [k for k in keys if k not in rows]
        if missing:
            raise KeyError(", ".join(missing))
        return [rows[k] for k in keys]

    async def _in_order(self, ids: list[int]) -> list[Initiative]:
        if not ids:
            return []
        rows = await self._session.scalars(
            select(InitiativeRow).where(InitiativeRow.id.in_(ids)).options(*LINKS)
        )
        by_id = {r.id: mapping.initiative(r) for r in rows}
        return [by_id[i] for i in ids]


def _filtered(query: Select[Any], where: InitiativeFilter) -> Select[Any]:
    if where.type is not None:
        query = query.where(InitiativeRow.type == where.type.value)
    if where.status is not None:
        query = query.where(InitiativeRow.status == where.status.value)
    if where.country is not None:
        query = query.where(
            exists().where(
                initiative_countries.c.initiative_id == InitiativeRow.id,
                initiative_countries.c.country_code == where.country,
            )
        )
    if where.region is not None:
        query = query.where(
            or_(
                exists().where(
                    initiative_regions.c.initiative_id == InitiativeRow.id,
                    initiative_regions.c.region_id == RegionRow.id,
                    RegionRow.key == where.region,
                ),
                exists().where(
                    initiative_countries.c.initiative_id == InitiativeRow.id,
                    initiative_countries.c.country_code == region_countries.c.country_code,
                    region_countries.c.region_id == RegionRow.id,
                    RegionRow.key == where.region,
                ),
            )
        )
    return query
