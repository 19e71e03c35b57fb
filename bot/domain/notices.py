"""Admin notices: who they go to, when, and where they stand."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.errors import InvalidInput
from bot.domain.outbox import OutboxStatus, SkipCause, skip_cause


class AudienceKind(StrEnum):
    """Who a notice is for."""

    EVERYONE = "everyone"
    DELEGATIONS = "delegations"
    ROLE = "role"
    REGION = "region"
    COUNTRY = "country"
    INITIATIVE = "initiative"


class NoticeStatus(StrEnum):
    """What happened to a notice; 'scheduled', 'sending' and 'done' are read off the outbox."""

    ACTIVE = "active"
    CANCELLED = "cancelled"
    STOPPED = "stopped"
    WITHDRAWN = "withdrawn"  # stopped, and the copies that could still be deleted were


@dataclass(frozen=True, slots=True)
class Audience:
    """The audience: a kind and its values (delegation codes, a role, a region key, a country, an id)."""

    kind: AudienceKind
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.kind is AudienceKind.EVERYONE) != (not self.values):
            raise InvalidInput("broadcast.bad_audience")


def check_reach(recipients: int) -> None:
    """A notice must reach someone: an audience with no member in it is refused, not sent to nobody."""
    if recipients <= 0:
        raise InvalidInput("broadcast.no_audience")


@dataclass(frozen=True, slots=True)
class NoticeDraft:
    """A notice as the admin composed it; `key` makes confirming it twice send it once."""

    key: str
    text: str
    audience: Audience
    send_at: dt.datetime
    attachment_kind: str | None = None
    attachment_file_id: str | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """A stored notice."""

    id: int
    author_id: int
    delegation_code: str
    text: str
    audience: Audience
    send_at: dt.datetime
    status: NoticeStatus
    recipients: int
    created_at: dt.datetime
    attachment_kind: str | None = None
    attachment_file_id: str | None = None
    dispatched: bool = True  # its messages are queued (a scheduled one's only at its send time)

    @property
    def job(self) -> str:
        """The outbox job of its messages."""
        return f"notice:{self.id}"


@dataclass(frozen=True, slots=True)
class NoticeReport:
    """A notice with its delivery figures: cancelled, stopped, unreachable and held back kept apart."""

    notice: Notice
    recipients: int = 0
    queued: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: int = 0  # skipped: the recipient blocked the bot or is gone
    stopped: int = 0  # skipped: an admin stopped the notice
    cancelled: int = 0  # not sent: an admin cancelled the notice before it started
    withheld: dict[str, int] = field(default_factory=dict)  # held back at send time, by reason
    unreachable_names: tuple[str, ...] = ()

    def phase(self, now: dt.datetime) -> str:
        """scheduled, sending, done, cancelled, stopped or withdrawn."""
        if self.notice.status is not NoticeStatus.ACTIVE:
            return self.notice.status.value
        if not self.notice.dispatched:
            return "scheduled"
        if self.queued == 0:
            return "done"
        return "scheduled" if self.notice.send_at > now and self.sent == 0 else "sending"


def tally(
    notice: Notice, rows: Iterable[tuple[str, str | None, int]], unreachable_names: tuple[str, ...] = ()
) -> NoticeReport:
    """The report of a notice whose messages are queued, from its send rows counted by (status, reason):
    cancelled, stopped, unreachable and held back each counted apart."""
    by_status: Counter[str] = Counter()
    skipped: Counter[SkipCause] = Counter()
    withheld: Counter[str] = Counter()
    for status, reason, count in rows:
        by_status[status] += count
        if status == OutboxStatus.WITHHELD.value:
            withheld[str(reason or "")] += count
        elif status == OutboxStatus.SKIPPED.value:
            skipped[skip_cause(reason)] += count
    return NoticeReport(
        notice,
        recipients=notice.recipients,
        queued=by_status[OutboxStatus.QUEUED.value] + by_status[OutboxStatus.SENDING.value],
        sent=by_status[OutboxStatus.SENT.value],
        failed=by_status[OutboxStatus.FAILED.value],
        unreachable=skipped[SkipCause.UNREACHABLE],
        stopped=skipped[SkipCause.STOPPED],
        cancelled=skipped[SkipCause.CANCELLED],
        withheld=dict(withheld),
        unreachable_names=unreachable_names,
    )


def undispatched(notice: Notice, audience_now: int) -> NoticeReport:
    """The report of a notice whose time has not come: its audience now, or, once cancelled, those it
    would have reached when it was cancelled."""
    if notice.status is NoticeStatus.ACTIVE:
        return NoticeReport(notice, recipients=audience_now, queued=audience_now)
    return NoticeReport(notice, recipients=notice.recipients, cancelled=notice.recipients)


TEXT_LIMIT = 3500
SEND_AHEAD = dt.timedelta(days=90)  # how far ahead a notice may be scheduled
# How long a chosen time may have passed when the notice is confirmed (it then goes at once): a guided
# flow ends after 30 idle minutes, so a time chosen from now is at most that old at its preview's confirm.
CONFIRM_LATE = dt.timedelta(hours=1)


def check_send_time(send_at: dt.datetime, now: dt.datetime, *, confirming: bool = False) -> dt.datetime:
    """A notice goes at a time from now to 90 days ahead: a past time is refused, and when `confirming`
    a time passed by at most `CONFIRM_LATE` (chosen, then previewed) is still taken and sent at once."""
    earliest = now - CONFIRM_LATE if confirming else now
    if not earliest <= send_at <= now + SEND_AHEAD:
        raise InvalidInput("broadcast.time_range")
    return send_at
