"""Subscriptions and digests: what a member subscribed to, when it is due, and what a digest holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.errors import InvalidInput
from bot.domain.model import Event, Initiative, Member, Update
from bot.domain.vocab import InitiativeType

GRACE = dt.timedelta(hours=24)
FIRST_PERIOD = dt.timedelta(days=7)
EVENTS_AHEAD = dt.timedelta(days=14)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_SUBSCRIPTIONS = 20  # a member's digests: /subscriptions lists each with four buttons


class Frequency(StrEnum):
    """How often a digest goes out."""

    WEEKLY = "weekly"
    DAILY = "daily"


@dataclass(frozen=True, slots=True)
class Scope:
    """What a digest covers: everything, or any mix of regions, countries, types and initiatives."""

    everything: bool = True
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    types: tuple[InitiativeType, ...] = ()
    initiatives: tuple[int, ...] = ()

    @property
    def key(self) -> tuple[object, ...]:
        """Equal scopes share one computation."""
        return (self.everything, self.regions, self.countries, self.types, self.initiatives)

    def covers(self, initiative: Initiative, regions_of_countries: dict[str, set[str]]) -> bool:
        """Whether an initiative falls in the scope (a region covers its countries' initiatives too)."""
        if self.everything:
            return True
        if initiative.id in self.initiatives or initiative.type in self.types:
            return True
        if set(initiative.countries) & set(self.countries):
            return True
        regions = set(initiative.regions)
        for country in initiative.countries:
            regions |= regions_of_countries.get(country, set())
        return bool(regions & set(self.regions))


def check_choice(scope: Scope) -> Scope:
    """Everything, or at least one region, country, type or initiative."""
    if not scope.everything and not (scope.regions or scope.countries or scope.types or scope.initiatives):
        raise InvalidInput("subscribe.choose_something")
    return scope


def check_weekday(weekday: int) -> int:
    """Monday (0) to Sunday (6): any other day can only come from a forged button."""
    if not 0 <= weekday <= 6:
        raise InvalidInput("error.stale")
    return weekday


def check_room(held: int) -> None:
    """A member holding `held` digests may start another: at most `MAX_SUBSCRIPTIONS` each."""
    if held >= MAX_SUBSCRIPTIONS:
        raise InvalidInput("subscribe.too_many", limit=MAX_SUBSCRIPTIONS)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A member's digest: what, how often, when (in the member's time zone), and quiet weeks."""

    id: int
    member_id: int
    scope: Scope
    frequency: Frequency
    weekday: int
    at: dt.time
    send_empty: bool
    paused: bool
    next_due_at: dt.datetime
    last_period_end: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    """What changed in a period on the initiatives in scope, as the member may see it.

    `by_initiative` holds every update of the period the member may read, newest first under each
    initiative, the most recently updated initiative first; how much of it a message shows is the
    renderer's choice, the counts cover it all.
    """

    period_start: dt.datetime
    period_end: dt.datetime
    by_initiative: Mapping[int, Sequence[Update]]
    initiatives: Mapping[int, Initiative]  # those with updates in `by_initiative`, in its order
    new_initiatives: Sequence[Initiative]
    status_changes: Sequence[tuple[Initiative, str]]
    events: Sequence[Event] = field(default_factory=tuple)
    composed_at: dt.datetime | None = None  # as the store stood then: a change after it composes again
    everything: bool = False  # its scope is everything, not a chosen part
    update_count: int = field(init=False)  # every update of the period the member may read

    def __post_init__(self) -> None:
        object.__setattr__(self, "update_count", sum(len(u) for u in self.by_initiative.values()))

    @property
    def empty(self) -> bool:
        """Nothing new at all."""
        return not (self.by_initiative or self.new_initiatives or self.status_changes)


@dataclass(frozen=True, slots=True)
class DueDigest:
    """A digest to compose: whose subscription, for which member, over which period."""

    subscription: Subscription
    member: Member
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True, slots=True)
class Run:
    """A subscription's digest of one period, to record: sent, empty (nothing to say) or missed."""

    subscription_id: int
    period_start: dt.datetime
    period_end: dt.datetime
    outcome: str
    items: int = 0


@dataclass(frozen=True, slots=True)
class Advance:
    """A subscription moved on: where its next period starts, and when it is due."""

    subscription_id: int
    last_period_end: dt.datetime | None
    next_due_at: dt.datetime


def next_due(after: dt.datetime, frequency: Frequency, weekday: int, at: dt.time, zone: str) -> dt.datetime:
    """The first local wall-clock `at` (on `weekday` if weekly) strictly after `after`, in UTC.

    Computed on local dates, so a daylight-saving change keeps 08:00 at 08:00 local time.
    """
    tz = ZoneInfo(zone)
    local = after.astimezone(tz)
    for days in range(0, 9):
        day = local.date() + dt.timedelta(days=days)
        if frequency is Frequency.WEEKLY and day.weekday() != weekday:
            continue
        candidate = dt.datetime.combine(day, at, tzinfo=tz).astimezone(dt.UTC)
        if candidate > after:
            return candidate
    raise AssertionError("a day matches within nine days")


def period_of(subscription: Subscription, due: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """From the end of the previous digest (or seven days before) to this due time: no gaps."""
    start = subscription.last_period_end or (due - FIRST_PERIOD)
    return start, due


def parse_time(text: str) -> dt.time:
    """'08:00' or '8:30'."""
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isascii() and hours.isdigit() and minutes.isascii() and minutes.isdigit()):
        raise ValueError(text)
    return dt.time(int(hours), int(minutes))
