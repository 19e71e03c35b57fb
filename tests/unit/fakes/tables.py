"""The fake store's tables: plain dicts of domain objects, copied by each unit of work."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.domain.digests import Subscription
from bot.domain.model import (
    AccessRequest,
    AuditEntry,
    Country,
    Delegation,
    Initiative,
    Invite,
    Member,
    Region,
    Update,
)
from bot.domain.notices import Notice
from bot.domain.outbox import OutboxStatus, Outgoing
from bot.domain.posting import FollowKind
from tests.unit.fakes.rounds import RoundTables

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass
class Row:
    """An outbox row: the message, where it stands, and what the sender recorded of it."""

    id: int
    message: Outgoing
    status: OutboxStatus = OutboxStatus.QUEUED
    reason: str | None = None
    message_ids: tuple[int, ...] = ()
    sent_at: dt.datetime | None = None
    retracted: bool = False  # a delivered message being deleted or replaced: no later correction


@dataclass
class Tables:
    """Everything the fake store holds; a unit of work changes a copy of it."""

    delegations: dict[str, Delegation] = field(default_factory=dict)
    countries: dict[str, Country] = field(default_factory=dict)
    regions: list[Region] = field(default_factory=list)
    members: dict[int, Member] = field(default_factory=dict)
    initiatives: dict[int, Initiative] = field(default_factory=dict)
    updates: dict[int, Update] = field(default_factory=dict)
    update_keys: dict[str, int] = field(default_factory=dict)
    changed_at: dict[int, dt.datetime] = field(default_factory=dict)  # update id → its last change
    edits: dict[int, list[tuple[dt.datetime, str]]] = field(default_factory=dict)
    follows: list[tuple[int, FollowKind, str]] = field(default_factory=list)
    invites: dict[int, tuple[str, Invite]] = field(default_factory=dict)
    requests: dict[int, AccessRequest] = field(default_factory=dict)
    notices: dict[int, Notice] = field(default_factory=dict)
    notice_keys: dict[str, int] = field(default_factory=dict)
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    outbox: dict[int, Row] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    rounds: RoundTables = field(default_factory=RoundTables)
    last_id: int = 0

    def new_id(self) -> int:
        """One id sequence for every table, so that an id of one kind is never also one of another."""
        self.last_id += 1
        return self.last_id
