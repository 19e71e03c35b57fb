"""The working party's exchange over a period, for the Council's archive (`emwp-bot archive`).

The sections are a list: a new kind of record is one more builder in `SECTIONS`, read in the same
transaction as the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence

from bot.domain.archive import Period, Record, Section
from bot.domain.archive_sections import events_section, notices_section, rounds_section, updates_section
from bot.domain.errors import InvalidInput
from bot.domain.model import Event
from bot.ports import UnitOfWork, UnitOfWorkFactory, long_reads

Builder = Callable[[UnitOfWork, dt.datetime, dt.datetime], Awaitable[Section]]


async def _updates(uow: UnitOfWork, start: dt.datetime, end: dt.datetime) -> Section:
    return updates_section(await uow.archive.updates(start, end))


async def _notices(uow: UnitOfWork, start: dt.datetime, end: dt.datetime) -> Section:
    return notices_section(await uow.archive.notices(start, end))


async def _events(uow: UnitOfWork, start: dt.datetime, end: dt.datetime) -> Section:
    return events_section([_event(e) for e in await uow.events.between(start, end)])


async def _rounds(uow: UnitOfWork, start: dt.datetime, end: dt.datetime) -> Section:
    return rounds_section(await uow.archive.rounds(start, end))


def _event(event: Event) -> Record:
    return {
        "id": event.id,
        "title": event.title,
        "kind": event.kind.value,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "country": event.country_code,
        "initiative_ref": event.initiative_ref,
        "location": event.location,
        "notes": event.notes,
    }


SECTIONS: tuple[Builder, ...] = (_updates, _notices, _events, _rounds)


@long_reads
async def collect_archive(uow_factory: UnitOfWorkFactory, period: Period) -> Sequence[Section]:
    """Every section of the period, read in one transaction so that they agree with each other."""
    if period.end < period.start:
        raise InvalidInput("archive.bad_period")
    start, end = period.bounds()
    async with uow_factory(read_only=True) as uow:
        return [await build(uow, start, end) for build in SECTIONS]
