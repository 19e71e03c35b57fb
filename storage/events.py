"""Events: meetings, dialogue rounds and visits. Never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.model import Event
from bot.domain.specs import EventSpec
from bot.domain.vocab import EventKind
from storage.mapping import aware
from storage.models import EventRow, InitiativeRow


def event_of(row: EventRow, ref: str | None) -> Event:
    """An event row as a domain object."""
    return Event(
        id=row.id,
        title=row.title,
        kind=EventKind(row.kind),
        starts_at=aware(row.starts_at),
        ends_at=aware(row.ends_at) if row.ends_at else None,
        country_code=row.country_code,
        initiative_id=row.initiative_id,
        initiative_ref=ref,
        location=row.location,
        notes=row.notes,
    )


class SqlEventRepository:
    """Meetings, dialogue rounds and visits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def between(
        self,
        start: dt.datetime,
        end: dt.datetime,
        country: str | None = None,
        initiative_ids: Sequence[int] = (),
    ) -> Sequence[Event]:
        """Events starting in [start, end), soonest first; of a country or of given initiatives if asked."""
        query = (
            select(EventRow, InitiativeRow.ref)
            .outerjoin(InitiativeRow, InitiativeRow.id == EventRow.initiative_id)
            .where(EventRow.starts_at >= start, EventRow.starts_at < end)
        )
        if country is not None:
            query = query.where(
                (EventRow.country_code == country) | EventRow.initiative_id.in_(list(initiative_ids))
            )
        rows = await self._session.execute(query.order_by(EventRow.starts_at, EventRow.id))
        return [event_of(row, ref) for row, ref in rows]

    async def all(self) -> Sequence[Event]:
        """Every event, by start (for export)."""
        rows = await self._session.execute(
            select(EventRow, InitiativeRow.ref)
            .outerjoin(InitiativeRow, InitiativeRow.id == EventRow.initiative_id)
            .order_by(EventRow.starts_at, EventRow.id)
        )
        return [event_of(row, ref) for row, ref in rows]

    async def save(self, spec: EventSpec) -> tuple[Event, bool]:
        """Insert or update the event with this title and start; True if it was new."""
        initiative_id = None
        if spec.initiative_ref:
            initiative_id = await self._session.scalar(
                select(InitiativeRow.id).where(InitiativeRow.ref == spec.initiative_ref.upper())
            )
            if initiative_id is None:
                raise KeyError(spec.initiative_ref)
        starts = spec.starts_at.astimezone(dt.UTC)  # SQLite keeps no offset: store UTC everywhere
        ends = spec.ends_at.astimezone(dt.UTC) if spec.ends_at else None
        row = await self._session.scalar(
            select(EventRow).where(EventRow.title == spec.title, EventRow.starts_at == starts)
        )
        created = row is None
        if row is None:
            row = EventRow(title=spec.title, starts_at=starts)
            self._session.add(row)
        row.kind, row.ends_at, row.country_code = spec.kind.value, ends, spec.country_code
        row.initiative_id, row.location, row.notes = initiative_id, spec.location, spec.notes
        await self._session.flush()
        return event_of(row, spec.initiative_ref.upper() if spec.initiative_ref else None), created
