"""The /subscribe flow's buttons (typed callback data, one kind a step) and the answers they fill."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from bot.domain.digests import WEEKDAYS, Frequency, Scope, Subscription
from bot.domain.errors import InvalidInput
from bot.domain.model import Viewer
from bot.domain.timezones import DEFAULT_ZONE
from bot.domain.vocab import InitiativeType
from handlers.callback_data import CallbackData
from handlers.flow import Draft
from handlers.texts import t

HOURS = (7, 8, 9, 12, 17)  # the times offered as buttons; any other is typed


# The steps of /subscribe.
WHAT, CHOOSE, COUNTRIES, INITIATIVES, FREQ, WEEKDAY, TIME, TYPED_TIME, EMPTY, PREVIEW = range(80, 90)


@dataclass(frozen=True)
class EditSubscription(CallbackData, prefix="sb:edit"):
    """✏️ Edit one of the member's digests: the same steps, with its answers."""

    subscription: int


@dataclass(frozen=True)
class SubscribeWhat(CallbackData, prefix="sb:what"):
    """Everything, or let me choose."""

    what: Literal["all", "some"]


@dataclass(frozen=True)
class ToggleRegion(CallbackData, prefix="sb:r"):
    """Tick or untick a region (by id: a key may be long)."""

    region: int


@dataclass(frozen=True)
class ToggleType(CallbackData, prefix="sb:t"):
    """Tick or untick a type of initiative."""

    kind: InitiativeType


@dataclass(frozen=True)
class AddTyped(CallbackData, prefix="sb:add"):
    """Type countries, or initiatives, to add."""

    what: Literal["countries", "initiatives"]


@dataclass(frozen=True)
class ChoiceDone(CallbackData, prefix="sb:done"):
    """Chosen."""


@dataclass(frozen=True)
class ChooseFrequency(CallbackData, prefix="sb:freq"):
    """Daily or weekly."""

    frequency: Frequency


@dataclass(frozen=True)
class ChooseWeekday(CallbackData, prefix="sb:day"):
    """A weekly digest's day: 0 is Monday."""

    weekday: int


@dataclass(frozen=True)
class ChooseHour(CallbackData, prefix="sb:hour"):
    """One of the offered times, on the hour."""

    hour: int


@dataclass(frozen=True)
class OtherTime(CallbackData, prefix="sb:time"):
    """Another time, typed."""


@dataclass(frozen=True)
class SendEmpty(CallbackData, prefix="sb:empty"):
    """Whether a quiet period still sends a digest."""

    send: bool


@dataclass(frozen=True)
class ConfirmSubscription(CallbackData, prefix="sb:ok"):
    """Save it."""


class SubscribeAnswers(Draft):
    """The /subscribe flow's answers so far; `subscription` is the one being changed (None: a new one)."""

    subscription: int | None = None
    everything: bool = True
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    types: tuple[InitiativeType, ...] = ()
    initiatives: tuple[int, ...] = ()
    frequency: Frequency | None = None
    weekday: int = 0
    at: dt.time | None = None
    send_empty: bool | None = None

    @classmethod
    def of(cls, subscription: Subscription) -> SubscribeAnswers:
        """The answers an existing digest was made with, to change it."""
        scope = subscription.scope
        return cls(
            subscription=subscription.id,
            everything=scope.everything,
            regions=scope.regions,
            countries=scope.countries,
            types=scope.types,
            initiatives=scope.initiatives,
            frequency=subscription.frequency,
            weekday=subscription.weekday,
            at=subscription.at,
            send_empty=subscription.send_empty,
        )

    @property
    def editing(self) -> bool:
        """Changing an existing digest, not making a new one."""
        return self.subscription is not None

    def scope(self) -> Scope:
        """What the digest covers."""
        if self.everything:
            return Scope()
        return Scope(False, self.regions, self.countries, self.types, self.initiatives)

    def timing(self) -> tuple[Frequency, int, dt.time]:
        """How often, which weekday and at what time; a stale button when a step is missing."""
        if self.frequency is None or self.at is None:
            raise InvalidInput("error.stale")
        return self.frequency, self.weekday, self.at


def when_text(viewer: Viewer, frequency: Frequency, weekday: int, at: dt.time) -> str:
    """'every day at 08:00 (Europe/Brussels)', 'every Monday at 07:00 (…)'."""
    lang = viewer.language
    zone = viewer.member.time_zone if viewer.member else DEFAULT_ZONE
    hhmm = at.strftime("%H:%M")
    if frequency is Frequency.DAILY:
        return t(lang, "subscribe.when_daily", at=hhmm, zone=zone)
    day = t(lang, f"subscribe.day_{WEEKDAYS[weekday]}")
    return t(lang, "subscribe.when_weekly", day=day, at=hhmm, zone=zone)
