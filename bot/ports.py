"""Protocols the storage layer implements; services depend on these, never on SQLAlchemy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Protocol, Self

from bot.domain.access import Visibility
from bot.domain.digests import Advance, Frequency, Run, Scope, Subscription
from bot.domain.model import (
    AccessRequest,
    AuditEntry,
    Country,
    Delegation,
    Event,
    Group,
    Initiative,
    InitiativeHeadline,
    Invite,
    Member,
    Region,
    SeedReport,
    Update,
)
from bot.domain.notices import Audience, Notice, NoticeDraft, NoticeReport, NoticeStatus
from bot.domain.outbox import Begun, Delivered, OutboxState, OutboxStatus, Outgoing, Queued
from bot.domain.posting import Draft, FollowKind
from bot.domain.reveals import Hold
from bot.domain.search import SearchQuery, SearchResults
from bot.domain.seed import SeedData
from bot.domain.specs import EventSpec, InitiativeFilter, InitiativeSpec
from bot.domain.vocab import RequestStatus, Role, Tlp
from bot.privacy_ports import ArchiveRepository, PersonalDataRepository, RetentionRepository


class MemberRepository(Protocol):
    """Members by id or Telegram user id."""

    async def by_telegram_id(self, telegram_user_id: int) -> Member | None: ...

    async def add(
        self,
        *,
        telegram_user_id: int,
        chat_id: int | None,
        display_name: str,
        delegation_code: str,
        role: Role,
        language: str,
        time_zone: str,
        now: dt.datetime,
    ) -> Member: ...

    async def count(self) -> int: ...

    async def by_id(self, member_id: int) -> Member | None: ...

    async def by_ids(self, ids: Iterable[int]) -> Sequence[Member]: ...

    async def all(self) -> Sequence[Member]: ...

    async def active_admins(self) -> Sequence[Member]: ...

    async def change(self, member_id: int, now: dt.datetime, **fields: object) -> Member | None: ...


class InviteRepository(Protocol):
    """Invitations, found by the hash of their token."""

    async def add(
        self,
        *,
        token_hash: str,
        role: Role,
        delegation_code: str,
        uses: int,
        expires_at: dt.datetime,
        created_by: int | None,
        now: dt.datetime,
    ) -> Invite: ...

    async def by_token_hash(self, token_hash: str) -> Invite | None: ...

    async def by_id(self, invite_id: int) -> Invite | None: ...

    async def take_use(self, invite_id: int, now: dt.datetime) -> bool: ...

    async def open_invites(self, now: dt.datetime, created_by: int | None = None) -> Sequence[Invite]: ...

    async def revoke(self, invite_id: int, by: int, now: dt.datetime) -> bool: ...


class AccessRequestRepository(Protocol):
    """Guests' requests for access."""

    async def add(
        self,
        *,
        telegram_user_id: int,
        chat_id: int,
        name: str,
        delegation_code: str,
        note: str,
        language: str,
        now: dt.datetime,
        username: str | None = None,
    ) -> AccessRequest: ...

    async def by_id(self, request_id: int) -> AccessRequest | None: ...

    async def pending_for(self, telegram_user_id: int) -> AccessRequest | None: ...

    async def pending(self) -> Sequence[AccessRequest]: ...

    async def decide(self, request_id: int, status: RequestStatus, by: int, now: dt.datetime) -> bool: ...


class GroupRepository(Protocol):
    """The group chats admins registered: the only groups the bot serves."""

    async def get(self, chat_id: int) -> Group | None: ...

    async def save(self, chat_id: int, title: str, registered_by: int | None, now: dt.datetime) -> Group: ...

    async def remove(self, chat_id: int) -> bool: ...

    async def all(self) -> Sequence[Group]: ...


class CatalogRepository(Protocol):
    """Reference data: delegations, countries, regions, organisations, instruments."""

    async def delegations(self) -> Sequence[Delegation]: ...

    async def delegation(self, code: str) -> Delegation | None: ...

    async def country(self, code: str) -> Country | None: ...

    async def countries(self) -> Sequence[Country]: ...

    async def organisation_names(self) -> dict[str, str]: ...

    async def instrument_names(self) -> dict[str, str]: ...

    async def regions(self) -> Sequence[Region]: ...

    async def apply_seed(
        self, seed: SeedData, countries: Sequence[Country], now: dt.datetime
    ) -> SeedReport: ...


class InitiativeRepository(Protocol):
    """Initiatives: by reference or id, filtered pages, a country's, saved from a spec."""

    async def by_ref(self, ref: str) -> Initiative | None: ...

    async def by_id(self, initiative_id: int) -> Initiative | None: ...

    async def count(self) -> int: ...

    async def page(
        self, where: InitiativeFilter, offset: int, limit: int, visibility: Visibility
    ) -> tuple[Sequence[InitiativeHeadline], int]: ...

    async def for_country(
        self, code: str, region_keys: Sequence[str], visibility: Visibility
    ) -> Sequence[Initiative]: ...

    async def ids_for_country(
        self, code: str, region_keys: Sequence[str], visibility: Visibility
    ) -> list[int]: ...

    async def headlines(self, ids: Sequence[int]) -> Sequence[InitiativeHeadline]: ...

    async def save(
        self, spec: InitiativeSpec, now: dt.datetime, initiative_id: int | None = None
    ) -> Initiative: ...

    async def all(self) -> Sequence[Initiative]: ...


class UpdateRepository(Protocol):
    """Updates: read through a TLP visibility, or one by one whatever their label (services check who
    may see them); written, edited, relabelled and withdrawn."""

    async def latest(
        self,
        initiative_ids: Sequence[int],
        visibility: Visibility,
        offset: int,
        limit: int,
        count: bool = True,
    ) -> tuple[Sequence[Update], int]: ...

    async def by_id(self, update_id: int) -> Update | None: ...

    async def by_ids(self, update_ids: Sequence[int]) -> dict[int, Update]: ...

    async def by_key(self, key: str) -> Update | None: ...

    async def add(self, draft: Draft, author_id: int, delegation: str, now: dt.datetime) -> Update | None: ...

    async def edit(self, update_id: int, text: str, editor_id: int, now: dt.datetime) -> Update: ...

    async def relabel(
        self, update_id: int, tlp: Tlp, readers: frozenset[str], now: dt.datetime
    ) -> Update: ...

    async def withdraw(self, update_id: int, now: dt.datetime) -> None: ...

    async def history(self, update_id: int) -> Sequence[tuple[dt.datetime, str]]: ...


class FollowRepository(Protocol):
    """What members follow, and who follows what."""

    async def follow(self, member_id: int, kind: FollowKind, target: str, now: dt.datetime) -> bool: ...

    async def unfollow(self, member_id: int, kind: FollowKind, target: str) -> bool: ...

    async def follows(self, member_id: int) -> Sequence[tuple[FollowKind, str]]: ...

    async def followers(
        self, initiative_id: int, countries: Sequence[str], regions: Sequence[str]
    ) -> list[int]: ...


class EventRepository(Protocol):
    """Events: upcoming ones, and saved from a spec."""

    async def between(
        self,
        start: dt.datetime,
        end: dt.datetime,
        country: str | None = None,
        initiative_ids: Sequence[int] = (),
    ) -> Sequence[Event]: ...

    async def save(self, spec: EventSpec) -> tuple[Event, bool]: ...

    async def all(self) -> Sequence[Event]: ...


class OutboxRepository(Protocol):
    """The outbox: every message that is not a direct reply goes through it."""

    async def enqueue(self, messages: Sequence[Outgoing], now: dt.datetime) -> int: ...

    async def claim(
        self, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> Sequence[Queued]: ...

    async def epoch(self) -> int: ...

    async def begin_part(
        self, row_id: int, worker: str, now: dt.datetime, lease: dt.timedelta, epoch: int | None = None
    ) -> Begun: ...

    async def part_sent(self, row: Queued, message_id: int, now: dt.datetime) -> bool: ...

    async def withhold(self, row_id: int, worker: str, hold: Hold, now: dt.datetime) -> None: ...

    async def withhold_job(self, job: str, hold: Hold, now: dt.datetime) -> int: ...

    async def delivered(self, job: str) -> Sequence[Delivered]: ...

    async def retract(self, row_ids: Sequence[int], now: dt.datetime) -> None: ...

    async def rewrite(self, row_id: int, message: Outgoing, now: dt.datetime) -> None: ...

    async def retry(
        self,
        row_id: int,
        not_before: dt.datetime,
        error: str,
        now: dt.datetime,
        *,
        count_attempt: bool = True,
        maybe_duplicate: bool = False,
    ) -> None: ...

    async def fail(
        self, row_id: int, error: str, now: dt.datetime, status: OutboxStatus = OutboxStatus.FAILED
    ) -> None: ...

    async def skip_chat(self, chat_id: int, reason: str, now: dt.datetime) -> int: ...

    async def release(self, worker: str, ids: Sequence[int], now: dt.datetime) -> None: ...

    async def skip_job(self, job: str, reason: str, now: dt.datetime) -> int: ...

    async def defer_chat(
        self, chat_id: int, after_id: int, until: dt.datetime, worker: str, now: dt.datetime
    ) -> int: ...

    async def next_due(self) -> dt.datetime | None: ...

    async def state(self, job: str | None = None) -> OutboxState: ...


class NoticeRepository(Protocol):
    """Admin notices and their audiences."""

    async def by_key(self, key: str) -> Notice | None: ...

    async def by_id(self, notice_id: int) -> Notice | None: ...

    async def add(
        self, draft: NoticeDraft, author: Member, recipients: int, now: dt.datetime, dispatched: bool
    ) -> Notice | None: ...

    async def take_due(self, now: dt.datetime) -> Sequence[Notice]: ...

    async def set_recipients(self, notice_id: int, recipients: int) -> None: ...

    async def within_audience(self, notice_id: int, member_ids: Iterable[int]) -> set[int]: ...

    async def set_status(self, notice_id: int, status: NoticeStatus, now: dt.datetime) -> None: ...

    async def latest(self, limit: int) -> Sequence[Notice]: ...

    async def audience(self, audience: Audience) -> Sequence[Member]: ...

    async def audience_size(self, audience: Audience) -> int: ...

    async def report(self, notice: Notice) -> NoticeReport: ...


class SubscriptionRepository(Protocol):
    """Digest subscriptions, their runs, and bulk reads for composing many digests at once."""

    async def save(
        self,
        member_id: int,
        scope: Scope,
        frequency: Frequency,
        weekday: int,
        at: dt.time,
        send_empty: bool,
        next_due_at: dt.datetime,
        now: dt.datetime,
        subscription_id: int | None = None,
    ) -> Subscription: ...

    async def by_id(self, subscription_id: int) -> Subscription | None: ...

    async def for_member(self, member_id: int) -> Sequence[Subscription]: ...

    async def set_paused(
        self, subscription_id: int, paused: bool, next_due_at: dt.datetime, now: dt.datetime
    ) -> None: ...

    async def delete(self, subscription_ids: Sequence[int]) -> None: ...

    async def active(self, due_before: dt.datetime | None = None) -> Sequence[Subscription]: ...

    async def record_runs(self, runs: Sequence[Run], now: dt.datetime) -> set[int]: ...

    async def advance(self, moves: Sequence[Advance], now: dt.datetime) -> None: ...

    async def runs(self, subscription_id: int) -> Sequence[tuple[dt.datetime, dt.datetime, str]]: ...

    async def updates_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[Update]: ...

    async def status_changes(
        self, start: dt.datetime, end: dt.datetime
    ) -> Sequence[tuple[str, str, dt.datetime]]: ...

    async def created_refs(self, start: dt.datetime, end: dt.datetime) -> set[str]: ...

    async def changed_since(self, start: dt.datetime, end: dt.datetime, since: dt.datetime) -> bool: ...


class SendBudget(Protocol):
    """One rate budget shared by every process sending with the bot's token."""

    async def reserve(
        self, chat_id: int, now: dt.datetime, spacing: float, chat_gap: float
    ) -> dt.datetime: ...


class SearchRepository(Protocol):
    """Full-text search over initiatives and the updates a viewer may read."""

    async def search(
        self,
        query: SearchQuery,
        visibility: Visibility,
        offset: int,
        limit: int,
        time_limit: dt.timedelta | None = None,
    ) -> SearchResults: ...


class AuditRepository(Protocol):
    """The append-only audit log."""

    async def append(
        self,
        *,
        at: dt.datetime,
        actor_id: int | None,
        action: str,
        subject: str,
        details: dict[str, object] | None = None,
    ) -> AuditEntry: ...

    async def latest(self, limit: int, offset: int = 0) -> Sequence[AuditEntry]: ...


class UnitOfWork(Protocol):
    """One transaction: rolled back on exit unless `commit` was awaited."""

    @property
    def members(self) -> MemberRepository: ...

    @property
    def catalog(self) -> CatalogRepository: ...

    @property
    def initiatives(self) -> InitiativeRepository: ...

    @property
    def audit(self) -> AuditRepository: ...

    @property
    def invites(self) -> InviteRepository: ...

    @property
    def updates(self) -> UpdateRepository: ...

    @property
    def events(self) -> EventRepository: ...

    @property
    def search(self) -> SearchRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def budget(self) -> SendBudget: ...

    @property
    def follows(self) -> FollowRepository: ...

    @property
    def notices(self) -> NoticeRepository: ...

    @property
    def subscriptions(self) -> SubscriptionRepository: ...

    @property
    def requests(self) -> AccessRequestRepository: ...

    @property
    def personal_data(self) -> PersonalDataRepository: ...

    @property
    def retention(self) -> RetentionRepository: ...

    @property
    def archive(self) -> ArchiveRepository: ...

    @property
    def groups(self) -> GroupRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work for each update or job."""

    def __call__(self) -> UnitOfWork: ...
