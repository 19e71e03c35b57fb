"""The SQLAlchemy unit of work: one session, one transaction, rolled back unless committed.

Within an update (`SqlUnitOfWorkFactory.update_scope`, opened by the application around each update) the
read-only units of work share one session and one read transaction: the member, the use case and the
names it is rendered with are read from one snapshot, with one connection checkout. A unit that writes
has its own session and transaction, as always (on SQLite it takes the write lock up front); once it has
ended, the update's read transaction ends too, so what is read next sees what was written.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ports import reads_are_heavy
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
from storage.sqlite_driver import read_only_begun, read_only_reset
from storage.updates import SqlUpdateRepository


class SqlUnitOfWork:
    """Opens a session on enter (a read-only one borrows the update's, if any); repositories share it;
    exit rolls back what was not committed."""

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

    def __init__(self, sessions: Sessions, *, read_only: bool = False) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._read_only = read_only
        self._mode: Token[bool] | None = None
        self._borrowed = False

    async def __aenter__(self) -> Self:
        short_read = self._read_only and not reads_are_heavy()
        scope = _scope.get()
        borrowed = scope.session_for(short_read) if scope is not None else None
        session = borrowed or (self._sessions.reading() if short_read else self._sessions.writing())
        self._session, self._borrowed = session, borrowed is not None
        self._mode = read_only_begun(self._read_only)
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
        session, mode = self._session, self._mode
        self._session = self._mode = None
        try:
            if session is not None and not self._borrowed:
                await session.close()  # rolls back whatever was not committed
        finally:
            if mode is not None:
                read_only_reset(mode)
        scope = _scope.get()
        if scope is not None and not self._read_only:
            await scope.written()

    async def commit(self) -> None:
        """Make the work of this unit permanent."""
        assert self._session is not None, "commit outside `async with`"
        assert not self._read_only, "a read-only unit of work cannot commit"
        await self._session.commit()

    async def rollback(self) -> None:
        """Drop the work of this unit."""
        assert self._session is not None, "rollback outside `async with`"
        if not self._borrowed:
            await self._session.rollback()


@dataclass(frozen=True)
class Sessions:
    """Where sessions come from: `writing` for units that write or read at length (one transaction),
    `reading` for short reads (on PostgreSQL in autocommit: no BEGIN and ROLLBACK round trips; under READ
    COMMITTED each statement reads its own snapshot in a transaction too)."""

    writing: async_sessionmaker[AsyncSession]
    reading: async_sessionmaker[AsyncSession]


class _UpdateScope:
    """The session the short read-only units of work of one update share, in the task that handles it."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = session_factory
        self._session: AsyncSession | None = None
        self._task = asyncio.current_task()
        self._open = True

    def session_for(self, short_read: bool) -> AsyncSession | None:
        """The update's session for a short read-only unit of work of the update's own task, else None: a
        writer, a long read (a search with its own time limit), and work left running after the update in
        a task of its own open their own."""
        if not (short_read and self._open and asyncio.current_task() is self._task):
            return None
        if self._session is None:
            self._session = self._factory()
        return self._session

    async def written(self) -> None:
        """A unit of work of this update may have written: what is read next begins a new snapshot."""
        if self._session is not None and asyncio.current_task() is self._task:
            await self._end(self._session.rollback)

    async def close(self) -> None:
        """The update was handled: end the read transaction and give the connection back."""
        self._open = False
        session, self._session = self._session, None
        if session is not None:
            await self._end(session.close)

    @staticmethod
    async def _end(how: Callable[[], Awaitable[None]]) -> None:
        token = read_only_begun(True)  # ending a read transaction: no lock to wait for
        try:
            await how()
        finally:
            read_only_reset(token)


_scope: ContextVar[_UpdateScope | None] = ContextVar("update_scope", default=None)


class SqlUnitOfWorkFactory:
    """A callable that makes a fresh unit of work per use case or job."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        reading: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self._sessions = Sessions(session_factory, reading or session_factory)

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, read_only=read_only)

    @contextlib.asynccontextmanager
    async def update_scope(self) -> AsyncIterator[None]:
        """Around the handling of one update: its read-only units of work share one session."""
        scope = _UpdateScope(self._sessions.reading)
        token = _scope.set(scope)
        try:
            yield
        finally:
            _scope.reset(token)
            await scope.close()
