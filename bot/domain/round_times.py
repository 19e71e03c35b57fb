"""A round's time: its deadline (typed in the launcher's zone, at least 24 hours ahead) and when each
reminder falls due."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.domain.errors import InvalidInput
from bot.domain.rounds import Stage
from bot.domain.typed import check_typed

MIN_LEAD = dt.timedelta(hours=24)
MAX_LEAD = dt.timedelta(days=180)


def check_deadline(deadline: dt.datetime, now: dt.datetime, *, lead: dt.timedelta = MIN_LEAD) -> None:
    """At least `lead` ahead (24 hours at launch), at most half a year."""
    if deadline < now + lead:
        raise InvalidInput("rounds.deadline_soon", hours=int(lead.total_seconds() // 3600))
    if deadline > now + MAX_LEAD:
        raise InvalidInput("rounds.deadline_far")


def parse_deadline(text: str, zone: str) -> dt.datetime:
    """'2026-12-15 17:00' (or '15/12/2026 17:00') in `zone`, as UTC; a time a clock change skips is
    refused."""
    check_typed(text, lines=False)
    cleaned = " ".join(text.split())
    for pattern in ("%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            naive = dt.datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
        if len(pattern) <= 8:  # a date alone: the end of the working day
            naive = naive.replace(hour=17)
        return local_to_utc(naive, zone)
    raise InvalidInput("rounds.deadline_format")


def local_to_utc(naive: dt.datetime, zone: str) -> dt.datetime:
    """A wall-clock time in `zone` as UTC; a time skipped by a clock change is refused."""
    tz = ZoneInfo(zone)
    aware = naive.replace(tzinfo=tz)
    back = aware.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
    if back != naive:
        raise InvalidInput("rounds.deadline_skipped")
    return aware.astimezone(dt.UTC)


def stage_times(deadline: dt.datetime, zone: str) -> dict[Stage, dt.datetime]:
    """When each reminder after the opening one is due: 3 days and 1 day before at the same wall-clock time
    in the round's zone (so a clock change between does not move it by an hour), and 2 hours before."""
    local = deadline.astimezone(ZoneInfo(zone)).replace(tzinfo=None)

    def before(days: int) -> dt.datetime:
        wall = local - dt.timedelta(days=days)
        aware = wall.replace(tzinfo=ZoneInfo(zone))
        return aware.astimezone(dt.UTC)

    return {Stage.DAYS3: before(3), Stage.DAY1: before(1), Stage.HOURS2: deadline - dt.timedelta(hours=2)}


def due_stage(deadline: dt.datetime, zone: str, now: dt.datetime) -> Stage | None:
    """The latest reminder due by `now` before the deadline (earlier ones missed are not sent late)."""
    if now >= deadline:
        return None
    due = [stage for stage, at in stage_times(deadline, zone).items() if at <= now]
    return due[-1] if due else None
