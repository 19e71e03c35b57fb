"""The outbox's rules: statuses, what a queued message holds, and how failures are retried."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class OutboxStatus(StrEnum):
    """Where a queued message stands."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class OutboxKind(StrEnum):
    """Why the message is sent."""

    NOTICE = "notice"
    DIGEST = "digest"
    FOLLOW = "follow"
    ACCESS = "access"


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

    @property
    def steps(self) -> int:
        """Messages this row sends: its text parts, then its attachment if any."""
        return len(self.parts) + (1 if self.attachment else 0)


@dataclass(frozen=True, slots=True)
class OutboxState:
    """The engine at a glance: rows by status, failures and who cannot be reached."""

    by_status: dict[str, int]
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
