"""One transaction and the repositories it opens."""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Awaitable, Callable, Iterator
from types import TracebackType
from typing import ParamSpec, Protocol, Self, TypeVar

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
    """Makes a fresh unit of work for each use case. A `read_only` one only reads: it must not commit, and
    the store may serve it without taking any lock a writer waits for (SQLite: a deferred transaction)."""

    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...


P = ParamSpec("P")
R = TypeVar("R")
_heavy: contextvars.ContextVar[bool] = contextvars.ContextVar("heavy_reads", default=False)


@contextlib.contextmanager
def heavy_reads() -> Iterator[None]:
    """What runs inside may read for long (searches, previews, profiles, far pages): a hint to the store
    to keep those reads off the event loop's thread. Task-local."""
    token = _heavy.set(True)
    try:
        yield
    finally:
        _heavy.reset(token)


def long_reads(use_case: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """A use case whose reads may take long (exports, archives, digests, retention scans): they run in
    `heavy_reads`."""

    @functools.wraps(use_case)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with heavy_reads():
            return await use_case(*args, **kwargs)

    return wrapper


def reads_are_heavy() -> bool:
    """Whether the current task said its reads may take long (`heavy_reads`)."""
    return _heavy.get()
