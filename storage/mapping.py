"""Rows to domain objects: the one place that knows both shapes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row

from bot.domain.model import AuditEntry, Country, Delegation, Initiative, InitiativeHeadline, Member, Region
from bot.domain.vocab import DelegationKind, InitiativeStatus, InitiativeType, MemberStatus, Role
from storage.models import AuditRow, CountryRow, DelegationRow, InitiativeRow, MemberRow, RegionRow


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything we store is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def delegation(row: DelegationRow) -> Delegation:
    """A delegation row as a domain object."""
    return Delegation(code=row.code, name=row.name, kind=DelegationKind(row.kind))


def member(row: MemberRow) -> Member:
    """A member row (with its delegation loaded) as a domain object."""
    return Member(
        id=row.id,
        telegram_user_id=row.telegram_user_id,
        display_name=row.display_name,
        delegation=delegation(row.delegation),
        role=Role(row.role),
        status=MemberStatus(row.status),
        language=row.language,
        time_zone=row.time_zone,
        reachable=row.reachable,
        erased_at=aware(row.erased_at) if row.erased_at else None,
        status_since=aware(row.status_since) if row.status_since else None,
    )


MEMBER_COLUMNS = (
    "id",
    "telegram_user_id",
    "display_name",
    "delegation_code",
    "role",
    "status",
    "language",
    "time_zone",
    "reachable",
    "erased_at",
    "status_since",
)


def member_of_columns(row: Any) -> Member:
    """A member read as `MEMBER_COLUMNS` with `delegation_name` and `delegation_kind`."""
    return Member(
        id=row.id,
        telegram_user_id=row.telegram_user_id,
        display_name=row.display_name,
        delegation=Delegation(
            code=row.delegation_code, name=row.delegation_name, kind=DelegationKind(row.delegation_kind)
        ),
        role=Role(row.role),
        status=MemberStatus(row.status),
        language=row.language,
        time_zone=row.time_zone,
        reachable=row.reachable,
        erased_at=aware(row.erased_at) if row.erased_at else None,
        status_since=aware(row.status_since) if row.status_since else None,
    )


def country(row: CountryRow) -> Country:
    """A country row as a domain object."""
    return Country(code=row.code, name=row.name, names=dict(row.names))


def region(row: RegionRow) -> Region:
    """A region row (countries loaded) as a domain object."""
    return Region(
        key=row.key,
        name=row.name,
        countries=tuple(c.code for c in row.countries),
        source_url=row.source_url,
        id=row.id,
    )


def initiative(row: InitiativeRow) -> Initiative:
    """An initiative row (links loaded) as a domain object."""
    return Initiative(
        id=row.id,
        ref=row.ref,
        title=row.title,
        type=InitiativeType(row.type),
        status=InitiativeStatus(row.status),
        countries=tuple(c.code for c in row.countries),
        regions=tuple(r.key for r in row.regions),
        lead=row.lead,
        partners=tuple(p.key for p in row.partners),
        instruments=tuple(i.key for i in row.instruments),
        funding=row.funding,
        year=row.year,
        start_date=row.start_date,
        end_date=row.end_date,
        source_url=row.source_url,
        notes=row.notes,
        last_activity_at=aware(row.last_activity_at),
        created_at=aware(row.created_at),
    )


def headline(row: Row[int, str, str, str, str, dt.datetime]) -> InitiativeHeadline:
    """A row of (id, ref, title, type, status, last_activity_at) as a list line."""
    return InitiativeHeadline(
        id=row.id,
        ref=row.ref,
        title=row.title,
        type=InitiativeType(row.type),
        status=InitiativeStatus(row.status),
        last_activity_at=aware(row.last_activity_at),
    )


def audit(row: AuditRow) -> AuditEntry:
    """An audit row as a domain object."""
    return AuditEntry(
        id=row.id,
        at=aware(row.at),
        actor_id=row.actor_id,
        action=row.action,
        subject=row.subject,
        details=dict(row.details),
    )
