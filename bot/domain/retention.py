"""Retention periods: how long the store keeps what it no longer needs, and what a run did or would do.

- members revoked for longer than `revoked_member_months` are pseudonymised, as an erasure would;
- the text of a message the outbox has finished with (neither queued nor being sent) is emptied
  `payload_days` after it was last touched; the row, its status and its counts stay;
- refused access requests are deleted `refused_request_days` after the decision, and invitations
  `expired_invite_days` after they expired or were withdrawn.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, fields

from bot.domain.outbox import OutboxStatus

# The outbox may still send rows in these statuses; it is done with every other (sent, failed, skipped,
# and any final status it gains later), and nothing will send those again.
UNFINISHED = (OutboxStatus.QUEUED, OutboxStatus.SENDING)
EMPTIED_PAYLOAD: dict[str, object] = {"parts": [], "emptied": True}


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """Records older than these instants are due."""

    revoked_before: dt.datetime
    payload_before: dt.datetime
    refused_before: dt.datetime
    expired_before: dt.datetime


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """The periods (settings RETENTION_*), how many records one transaction handles, and the pause
    between two transactions.

    The pause lets other writers in: a SQLite writer waiting for the lock polls at most every 100 ms, so
    back-to-back batches would starve the sender even though each batch is short.
    """

    revoked_member_months: int = 24
    payload_days: int = 30
    refused_request_days: int = 90
    expired_invite_days: int = 90
    batch_size: int = 1000
    pause_seconds: float = 0.15

    def cutoffs(self, now: dt.datetime) -> Cutoffs:
        """The instants before which each kind of record is due, at `now`."""
        return Cutoffs(
            revoked_before=months_before(now, self.revoked_member_months),
            payload_before=now - dt.timedelta(days=self.payload_days),
            refused_before=now - dt.timedelta(days=self.refused_request_days),
            expired_before=now - dt.timedelta(days=self.expired_invite_days),
        )


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same wall-clock instant `months` calendar months earlier (the 31st falls back to month end)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True, slots=True)
class RetentionCounts:
    """Records pseudonymised, emptied or deleted (or due, for a dry run)."""

    members: int = 0
    payloads: int = 0
    requests: int = 0
    invites: int = 0

    def __add__(self, other: RetentionCounts) -> RetentionCounts:
        return RetentionCounts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def total(self) -> int:
        """Everything together."""
        return self.members + self.payloads + self.requests + self.invites


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """One run: what it did (or found due, when dry), in how many transactions, the longest of them.

    `busy` means another process held the retention lock: it was applying retention at that moment,
    so this run stopped and left the rest to it.
    """

    counts: RetentionCounts
    dry_run: bool = False
    busy: bool = False
    transactions: int = 0
    longest_transaction: float = 0.0  # seconds
