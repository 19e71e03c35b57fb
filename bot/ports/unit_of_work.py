"""One transaction and the repositories it opens."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from bot.ports.delivery import NoticeRepository, OutboxRepository, SendBudget, SubscriptionRepository
from bot.ports.exchange import FollowRepository, UpdateRepository
from bot.ports.people import AccessRequestRepository, GroupRepository, InviteRepository, MemberRepository
from bot.ports.privacy import ArchiveRepository, PersonalDataRepository, RetentionRepository
from bot.ports.records import AuditRepository
from bot.ports.reference import CatalogRepository, EventRepository, InitiativeRepository, SearchRepository
from bot.ports.rounds import RoundRepository


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

    @property
    def rounds(self) -> RoundRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work for each update or job."""

    def __call__(self) -> UnitOfWork: ...
