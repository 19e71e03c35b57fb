"""The outbox's rules: statuses, what a queued message holds, and how failures are retried."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot.domain.reveals import Readers, Reveals


class OutboxStatus(StrEnum):
    """Where a queued message stands."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # cancelled or stopped by an admin, or the recipient cannot be reached (`skip_cause`)
    WITHHELD = "withheld"  # the read rules said no at the moment of sending (`Hold` says why)


class OutboxKind(StrEnum):
    """Why the message is sent."""

    NOTICE = "notice"
    DIGEST = "digest"
    FOLLOW = "follow"
    ACCESS = "access"
    ROUND = "round"  # a consultation round's opening, reminders, changes and compilation


class Begun(StrEnum):
    """What marking a row's next part in flight found."""

    BEGUN = "begun"
    CHANGED = "changed"  # the read epoch moved since the row was checked: check it again
    LOST = "lost"  # another worker took the row over, or an admin stopped it


class Op(StrEnum):
    """What a row does in its chat: send new messages, or edit or delete ones the bot delivered."""

    SEND = "send"
    EDIT = "edit"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to write to the outbox: one recipient, text already split into parts."""

    chat_id: int
    kind: OutboxKind
    dedupe_key: str
    parts: tuple[str, ...]
    job: str | None = None
    member_id: int | None = None
    protect: bool = False
    markup: dict[str, Any] | None = None
    not_before: dt.datetime | None = None
    attachment: tuple[str, str] | None = (
        None  # ("document" or "photo", Telegram file_id), sent after the text
    )
    reveals: Reveals = field(default_factory=Reveals)
    op: Op = Op.SEND
    targets: tuple[int, ...] = ()  # EDIT, DELETE: the delivered messages' ids


@dataclass(frozen=True, slots=True)
class Queued:
    """A claimed outbox row, ready for the sender."""

    id: int
    chat_id: int
    kind: OutboxKind
    parts: tuple[str, ...]
    parts_sent: int
    attempts: int
    protect: bool = False
    markup: dict[str, Any] | None = None
    message_ids: tuple[int, ...] = field(default=())
    attachment: tuple[str, str] | None = None
    member_id: int | None = None
    reveals: Reveals = field(default_factory=Reveals)
    op: Op = Op.SEND
    targets: tuple[int, ...] = ()
    # The read epoch its check was made at (claim time): if nothing moved since, the check still holds.
    checked_epoch: int | None = None

    @property
    def steps(self) -> int:
        """Requests this row makes: its text parts then its attachment; one edit a part; one deletion."""
        if self.op is Op.DELETE:
            return 1
        if self.op is Op.EDIT:
            return len(self.parts)
        return len(self.parts) + (1 if self.attachment else 0)


@dataclass(frozen=True, slots=True)
class Delivered:
    """A message that reached its chat: what a correction (edit, deletion) of it needs to know."""

    row_id: int
    chat_id: int
    kind: OutboxKind
    member_id: int | None
    message_ids: tuple[int, ...]
    text_parts: int
    sent_at: dt.datetime | None
    protect: bool

    @property
    def text_ids(self) -> tuple[int, ...]:
        """The ids of its text messages (an attachment, if any, came after them)."""
        return self.message_ids[: self.text_parts]

    def deletable(self, now: dt.datetime) -> bool:
        """Telegram lets a bot delete its messages for 48 hours."""
        return self.sent_at is not None and now - self.sent_at < DELETE_WINDOW


# An attachment the bot made and keeps in the store (a round's compilation): ("stored", its row id).
STORED_FILE = "stored"

STOPPED = "stopped"  # the reason a row skipped by an admin's stop gives
CANCELLED = "cancelled"  # the reason a row skipped by an admin's cancelling gives


class SkipCause(StrEnum):
    """Why a message was skipped, as every report tells them apart."""

    CANCELLED = "cancelled"  # an admin cancelled it before it started
    STOPPED = "stopped"  # an admin stopped it while it was going out
    UNREACHABLE = "unreachable"  # the recipient blocked the bot, left Telegram or was erased


def skip_cause(reason: str | None) -> SkipCause:
    """The cause of a skipped row, from the reason stored with it."""
    if reason == CANCELLED:
        return SkipCause.CANCELLED
    if reason == STOPPED:
        return SkipCause.STOPPED
    return SkipCause.UNREACHABLE


DELETE_WINDOW = dt.timedelta(hours=47)  # Telegram allows 48: an hour for the queue


@dataclass(frozen=True, slots=True)
class OutboxState:
    """The engine at a glance: rows by status, failures and who cannot be reached."""

    by_status: dict[str, int]
    skipped: dict[SkipCause, int]  # the skipped rows by cause
    withheld: dict[str, int]  # held back at send time, by reason
    maybe_duplicates: int
    recent_failures: list[tuple[int, str]]
    unreachable: list[tuple[int, str]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter for network errors and 5xx, up to `max_attempts`."""

    base_seconds: float = 2.0
    max_seconds: float = 600.0
    max_attempts: int = 8

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Seconds to wait before attempt number `attempts + 1` ("full jitter" around the exponential)."""
        ceiling = min(self.max_seconds, self.base_seconds * float(2 ** max(0, attempts - 1)))
        return float(ceiling * (0.5 + rng.random() / 2))

    def exhausted(self, attempts: int) -> bool:
        """Whether to give up and mark the message failed."""
        return attempts >= self.max_attempts


@dataclass(frozen=True, slots=True)
class Correction:
    """What correcting the delivered copies of a message did: corrected in place (edited, or deleted and
    sent again protected), removed, and too old for Telegram to let the bot delete or replace."""

    corrected: int = 0
    removed: int = 0
    too_old: int = 0
    cancelled: int = 0  # queued copies that will now not be sent

    def __add__(self, other: Correction) -> Correction:
        return Correction(
            self.corrected + other.corrected,
            self.removed + other.removed,
            self.too_old + other.too_old,
            self.cancelled + other.cancelled,
        )


def retracts(rows: list[Outgoing]) -> bool:
    """Whether a correction deletes the copy it corrects (deleted, or deleted and sent again)."""
    return any(row.op is Op.DELETE for row in rows)


def correct(
    copy: Delivered, fresh: Outgoing | None, *, key: str, job: str | None, now: dt.datetime
) -> tuple[list[Outgoing], Correction]:
    """The outbox rows that bring a delivered copy in line with what its recipient may read now.

    `fresh` is the message as it would be made now for that recipient, or None if they may no longer
    read it: then the copy is deleted. A copy is edited in place when the new text has as many parts; a
    copy that would need protection it lacks (Telegram cannot add it by editing), or another number of
    parts, is deleted and sent again. Telegram lets a bot delete its messages for 48 hours only.
    """
    delete = Outgoing(
        chat_id=copy.chat_id,
        kind=copy.kind,
        dedupe_key=f"{key}:delete",
        parts=(),
        job=job,
        member_id=copy.member_id,
        op=Op.DELETE,
        targets=copy.message_ids,
        reveals=Reveals(readers=Readers.ANYONE),
    )
    if fresh is None:
        return ([delete], Correction(removed=1)) if copy.deletable(now) else ([], Correction(too_old=1))
    in_place = len(fresh.parts) == copy.text_parts and (copy.protect or not fresh.protect)
    if in_place:
        edit = replace(fresh, dedupe_key=f"{key}:edit", op=Op.EDIT, targets=copy.text_ids, attachment=None)
        return [edit], Correction(corrected=1)
    if not copy.deletable(now):
        return [], Correction(too_old=1)
    return [delete, replace(fresh, dedupe_key=f"{key}:send")], Correction(corrected=1)
