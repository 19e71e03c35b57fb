"""Repositories: queries that return domain objects. They flush but never commit."""

from __future__ import annotations

import datetime as dt
import time
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.domain.model import AuditEntry, Country, Delegation, Member, Region, SeedReport
from bot.domain.seed import SeedData
from bot.domain.vocab import MemberStatus, Role
from storage import mapping
from storage.models import (
    AuditRow,
    CountryRow,
    DelegationRow,
    InstrumentRow,
    MemberRow,
    OrganisationRow,
    RegionRow,
)
from storage.seeding import SeedWriter

MEMBER_FIELDS = frozenset(
    {"role", "status", "reachable", "language", "time_zone", "delegation_code", "display_name", "chat_id"}
)


# Built once, on the tables (Core, no ORM loading): every update asks it.
_MEMBERS, _DELEGATIONS = MemberRow.__table__, DelegationRow.__table__
_MEMBER_BY_TELEGRAM_ID = (
    select(
        *(_MEMBERS.c[name] for name in mapping.MEMBER_COLUMNS),
        _DELEGATIONS.c.name.label("delegation_name"),
        _DELEGATIONS.c.kind.label("delegation_kind"),
    )
    .join(_DELEGATIONS, _DELEGATIONS.c.code == _MEMBERS.c.delegation_code)
    .where(_MEMBERS.c.telegram_user_id == bindparam("telegram_user_id"))
)


class SqlMemberRepository:
    """Members in the store."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_telegram_id(self, telegram_user_id: int) -> Member | None:
        """The member with this Telegram user id, if any. Every update asks it: read as plain columns,
        without loading ORM objects."""
        found = await self._session.execute(_MEMBER_BY_TELEGRAM_ID, {"telegram_user_id": telegram_user_id})
        row = found.first()
        return mapping.member_of_columns(row) if row else None

    async def add(
        self,
        *,
        telegram_user_id: int,
        chat_id: int | None,
        display_name: str,
        delegation_code: str,
        role: Role,
        language: str,
        time_zone: str,
        now: dt.datetime,
    ) -> Member:
        """Register a member; the caller commits."""
        row = MemberRow(
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            display_name=display_name,
            delegation_code=delegation_code,
            role=role.value,
            status=MemberStatus.ACTIVE.value,
            language=language,
            time_zone=time_zone,
            reachable=True,
            created_at=now,
            updated_at=now,
            status_since=now,
        )
        self._session.add(row)
        await self._session.flush()
        await self._session.refresh(row, ["delegation"])
        return mapping.member(row)

    async def count(self) -> int:
        """How many members are registered."""
        return int(await self._session.scalar(select(func.count()).select_from(MemberRow)) or 0)

    async def by_id(self, member_id: int) -> Member | None:
        """One member by id."""
        row = await self._session.get(MemberRow, member_id)
        return mapping.member(row) if row else None

    async def by_ids(self, ids: Iterable[int]) -> Sequence[Member]:
        """The members with these ids."""
        wanted = list(ids)
        if not wanted:
            return []
        rows = await self._session.scalars(select(MemberRow).where(MemberRow.id.in_(wanted)))
        return [mapping.member(r) for r in rows]

    async def all(self) -> Sequence[Member]:
        """Every member, by delegation then name."""
        rows = await self._session.scalars(
            select(MemberRow).order_by(MemberRow.delegation_code, MemberRow.display_name, MemberRow.id)
        )
        return [mapping.member(r) for r in rows]

    async def active_admins(self) -> Sequence[Member]:
        """Admins whose access is live."""
        rows = await self._session.scalars(
            select(MemberRow)
            .where(MemberRow.role == Role.ADMIN.value, MemberRow.status == MemberStatus.ACTIVE.value)
            .order_by(MemberRow.id)
        )
        return [mapping.member(r) for r in rows]

    async def change(self, member_id: int, now: dt.datetime, **fields: object) -> Member | None:
        """Set the given columns (role, status, reachable, language, time_zone, …) of one member."""
        row = await self._session.get(MemberRow, member_id)
        if row is None:
            return None
        was = row.status
        for name, value in fields.items():
            if name not in MEMBER_FIELDS:
                raise ValueError(f"not a changeable member field: {name}")
            setattr(row, name, value.value if isinstance(value, Role | MemberStatus) else value)
        if row.status != was:  # retention counts from the last revocation
            row.revoked_at = now if row.status == MemberStatus.REVOKED.value else None
        if "status" in fields:
            row.status_since = now
        row.updated_at = now
        await self._session.flush()
        await self._session.refresh(row, ["delegation"])
        return mapping.member(row)


REFERENCE_TTL = 300.0  # seconds; reference data changes only when the seed is applied
# By engine (weakly: a disposed engine's data goes with it), then by what: (when read, value).
_reference: weakref.WeakKeyDictionary[Any, dict[str, tuple[float, Any]]] = weakref.WeakKeyDictionary()


class SqlCatalogRepository:
    """Reference data (delegations, countries, regions, organisations, instruments): read once per
    engine and kept in memory, never per update. This process forgets it when it applies the seed (the
    only writer of reference data); another process's seed is seen within `REFERENCE_TTL`."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _kept(self) -> dict[str, tuple[float, Any]]:
        return _reference.setdefault(self._session.get_bind(), {})

    def _cached(self, what: str) -> Any:
        hit = self._kept().get(what)
        return hit[1] if hit and time.monotonic() - hit[0] < REFERENCE_TTL else None

    def _keep(self, what: str, value: Any) -> Any:
        self._kept()[what] = (time.monotonic(), value)
        return value

    async def delegations(self) -> Sequence[Delegation]:
        """All delegations: member states, institutions, observers."""
        cached = self._cached("delegations")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        rows = await self._session.scalars(
            select(DelegationRow).order_by(DelegationRow.kind, DelegationRow.code)
        )
        return self._keep("delegations", tuple(mapping.delegation(r) for r in rows))  # type: ignore[no-any-return]

    async def delegation(self, code: str) -> Delegation | None:
        """One delegation by code."""
        return next((d for d in await self.delegations() if d.code == code), None)

    async def country(self, code: str) -> Country | None:
        """One country by ISO code."""
        wanted = code.upper()
        return next((c for c in await self.countries() if c.code == wanted), None)

    async def countries(self) -> Sequence[Country]:
        """Every country with its names (the same tuple until the reference data is read again)."""
        cached = self._cached("countries")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        rows = await self._session.scalars(select(CountryRow).order_by(CountryRow.code))
        return self._keep("countries", tuple(mapping.country(r) for r in rows))  # type: ignore[no-any-return]

    async def organisation_names(self) -> dict[str, str]:
        """Partner organisations: key → full name."""
        cached = self._cached("organisations")
        if cached is None:
            rows = await self._session.execute(select(OrganisationRow.key, OrganisationRow.name))
            cached = self._keep("organisations", dict(rows.all()))
        return dict(cached)

    async def instrument_names(self) -> dict[str, str]:
        """Financing instruments: key → short name."""
        cached = self._cached("instruments")
        if cached is None:
            rows = await self._session.execute(select(InstrumentRow.key, InstrumentRow.short_name))
            cached = self._keep("instruments", dict(rows.all()))
        return dict(cached)

    async def regions(self) -> Sequence[Region]:
        """All regions with their countries."""
        cached = self._cached("regions")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        rows = await self._session.scalars(
            select(RegionRow).options(selectinload(RegionRow.countries)).order_by(RegionRow.name)
        )
        return self._keep("regions", tuple(mapping.region(r) for r in rows))  # type: ignore[no-any-return]

    async def apply_seed(self, seed: SeedData, countries: Sequence[Country], now: dt.datetime) -> SeedReport:
        """Insert or update the seed by natural keys; unchanged rows stay untouched."""
        self._kept().clear()
        return await SeedWriter(self._session, now).apply(seed, countries)


class SqlAuditRepository:
    """The append-only audit log."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(
        self,
        *,
        at: dt.datetime,
        actor_id: int | None,
        action: str,
        subject: str,
        details: dict[str, object] | None = None,
    ) -> AuditEntry:
        """Add an entry; it becomes permanent when the unit of work commits."""
        row = AuditRow(at=at, actor_id=actor_id, action=action, subject=subject, details=dict(details or {}))
        self._session.add(row)
        await self._session.flush()
        return mapping.audit(row)

    async def latest(self, limit: int, offset: int = 0) -> Sequence[AuditEntry]:
        """The newest entries first."""
        rows = await self._session.scalars(
            select(AuditRow).order_by(AuditRow.id.desc()).offset(offset).limit(limit)
        )
        return [mapping.audit(r) for r in rows]
