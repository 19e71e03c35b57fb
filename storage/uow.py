"""The SQLAlchemy unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.access_repositories import SqlAccessRequestRepository, SqlInviteRepository
from storage.archive import SqlArchiveRepository
from storage.digests import SqlSubscriptionRepository
from storage.events import SqlEventRepository
from storage.follows import SqlFollowRepository
from storage.groups import SqlGroupRepository
from storage.initiatives import SqlInitiativeRepository
from storage.notices import SqlNoticeRepository
from storage.outbox import SqlOutboxRepository
from storage.personal_data import SqlPersonalDataRepository
from storage.repositories import SqlAuditRepository, SqlCatalogRepository, SqlMemberRepository
from storage.retention import SqlRetentionRepository
from storage.rounds import SqlRoundRepository
from storage.search import SqlSearchRepository
from storage.send_budget import SqlSendBudget
from storage.updates import SqlUpdateRepository


class SqlUnitOfWork:
    """Opens a session on enter; repositories share it; exit rolls back what was not committed."""

    members: SqlMemberRepository
    catalog: SqlCatalogRepository
    initiatives: SqlInitiativeRepository
    audit: SqlAuditRepository
    invites: SqlInviteRepository
    requests: SqlAccessRequestRepository
    updates: SqlUpdateRepository
    events: SqlEventRepository
    outbox: SqlOutboxRepository
    budget: SqlSendBudget
    follows: SqlFollowRepository
    notices: SqlNoticeRepository
    subscriptions: SqlSubscriptionRepository
    search: SqlSearchRepository
    personal_data: SqlPersonalDataRepository
    retention: SqlRetentionRepository
    archive: SqlArchiveRepository
    groups: SqlGroupRepository
    rounds: SqlRoundRepository

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = session_factory
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        session = self._factory()
        self._session = session
        self.members = SqlMemberRepository(session)
        self.catalog = SqlCatalogRepository(session)
        self.initiatives = SqlInitiativeRepository(session)
        self.audit = SqlAuditRepository(session)
        self.invites = SqlInviteRepository(session)
        self.requests = SqlAccessRequestRepository(session)
        self.updates = SqlUpdateRepository(session)
        self.events = SqlEventRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.budget = SqlSendBudget(session)
        self.follows = SqlFollowRepository(session)
        self.notices = SqlNoticeRepository(session)
        self.subscriptions = SqlSubscriptionRepository(session)
        self.search = SqlSearchRepository(session)
        self.personal_data = SqlPersonalDataRepository(session)
        self.retention = SqlRetentionRepository(session)
        self.archive = SqlArchiveRepository(session)
        self.groups = SqlGroupRepository(session)
        self.rounds = SqlRoundRepository(session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self._session
        self._session = None
        if session is not None:
            await session.close()  # rolls back whatever was not committed

    async def commit(self) -> None:
        """Make the work of this unit permanent."""
        assert self._session is not None, "commit outside `async with`"
        await self._session.commit()

    async def rollback(self) -> None:
        """Drop the work of this unit."""
        assert self._session is not None, "rollback outside `async with`"
        await self._session.rollback()


class SqlUnitOfWorkFactory:
    """A callable that makes a fresh unit of work per update or job."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._session_factory)
