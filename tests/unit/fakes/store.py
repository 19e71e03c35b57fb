"""An in-memory unit of work for service tests: the ports of `bot.ports` held in dicts, no SQL.

Only what the services under test call is here. A unit of work works on a copy of the store's tables and
puts it back only when committed, so a refused use case leaves nothing behind, as the real one does.
Reference data is small and fixed (`seeded`): a few delegations of each kind, North African countries
and their region, one initiative on Morocco.
"""

from __future__ import annotations

import copy
import datetime as dt
from types import TracebackType
from typing import Self, cast

from bot.domain.model import Country, Delegation, Initiative, Member, Region
from bot.domain.outbox import OutboxStatus
from bot.domain.vocab import DelegationKind, InitiativeStatus, InitiativeType, MemberStatus, Role
from bot.ports import UnitOfWorkFactory
from tests.unit.fakes.exchange import FakeFollows, FakeInitiatives, FakeOutbox, FakeUpdates
from tests.unit.fakes.notices import FakeNotices, FakeSubscriptions
from tests.unit.fakes.people import FakeAudit, FakeCatalog, FakeInvites, FakeMembers, FakeRequests
from tests.unit.fakes.rounds import FakeRounds
from tests.unit.fakes.tables import EPOCH, Row, Tables


class FakeUnitOfWork:
    """One transaction over the fake store: its repositories change a copy, put back on commit."""

    members: FakeMembers
    catalog: FakeCatalog
    initiatives: FakeInitiatives
    audit: FakeAudit
    invites: FakeInvites
    requests: FakeRequests
    outbox: FakeOutbox
    updates: FakeUpdates
    follows: FakeFollows
    notices: FakeNotices
    subscriptions: FakeSubscriptions
    rounds: FakeRounds

    def __init__(self, store: FakeStore, *, read_only: bool = False) -> None:
        self._store = store
        self._work: Tables | None = None
        self._read_only = read_only

    async def __aenter__(self) -> Self:
        self._work = work = copy.deepcopy(self._store.tables)
        self.members, self.catalog = FakeMembers(work), FakeCatalog(work)
        self.initiatives, self.audit = FakeInitiatives(work), FakeAudit(work)
        self.invites, self.requests = FakeInvites(work), FakeRequests(work)
        self.outbox, self.updates, self.follows = FakeOutbox(work), FakeUpdates(work), FakeFollows(work)
        self.notices, self.subscriptions = FakeNotices(work), FakeSubscriptions(work)
        self.rounds = FakeRounds(work)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._work = None  # what was not committed is dropped

    async def commit(self) -> None:
        assert self._work is not None, "commit outside `async with`"
        assert not self._read_only, "a read-only unit of work cannot commit"
        self._store.tables = copy.deepcopy(self._work)
        self._store.commits += 1

    async def rollback(self) -> None:
        assert self._work is not None, "rollback outside `async with`"
        self._work = copy.deepcopy(self._store.tables)


class FakeStore:
    """The fake store: its tables, and a unit-of-work factory over them, as `storage.factory.Store`."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.commits = 0

    def uow(self, *, read_only: bool = False) -> FakeUnitOfWork:
        """A fresh unit of work; a `read_only` one refuses to commit, as the real one does."""
        return FakeUnitOfWork(self, read_only=read_only)

    @property
    def factory(self) -> UnitOfWorkFactory:
        """The factory the services take. The fakes hold only what the services call, not every port,
        so the type checker is told what they stand for."""
        return cast(UnitOfWorkFactory, self.uow)

    # --- set-up and inspection for tests ----------------------------------------------------------

    def member(self, telegram_user_id: int) -> Member:
        """The member with this Telegram id, as committed."""
        return next(m for m in self.tables.members.values() if m.telegram_user_id == telegram_user_id)

    def add_member(
        self,
        telegram_user_id: int,
        role: Role,
        delegation: str,
        *,
        status: MemberStatus = MemberStatus.ACTIVE,
        reachable: bool = True,
        time_zone: str = "Europe/Brussels",
    ) -> Member:
        """Register someone directly, as a test's starting point."""
        member = Member(
            id=self.tables.new_id(),
            telegram_user_id=telegram_user_id,
            display_name=f"Member {telegram_user_id}",
            delegation=self.tables.delegations[delegation],
            role=role,
            status=status,
            language="en",
            time_zone=time_zone,
            reachable=reachable,
        )
        self.tables.members[member.id] = member
        return member

    def actions(self) -> list[str]:
        """The audit log's actions, oldest first."""
        return [entry.action for entry in self.tables.audit]

    def rows(self, job: str | None = None) -> list[Row]:
        """Outbox rows (of one job), in the order queued."""
        return [r for r in self.tables.outbox.values() if job is None or r.message.job == job]

    def deliver(self, now: dt.datetime) -> int:
        """Mark every queued row sent, as the sender would: what the services later correct."""
        queued = [r for r in self.tables.outbox.values() if r.status is OutboxStatus.QUEUED]
        for row in queued:
            row.status, row.sent_at = OutboxStatus.SENT, now
            row.message_ids = tuple(self.tables.new_id() for _ in row.message.parts)
        return len(queued)


DELEGATIONS = (
    Delegation("GSC", "General Secretariat of the Council", DelegationKind.INSTITUTION),
    Delegation("COM", "European Commission", DelegationKind.INSTITUTION),
    Delegation("FR", "France", DelegationKind.MEMBER_STATE),
    Delegation("DE", "Germany", DelegationKind.MEMBER_STATE),
    Delegation("IT", "Italy", DelegationKind.MEMBER_STATE),
    Delegation("FRONTEX", "Frontex", DelegationKind.OBSERVER),
)
COUNTRIES = (
    Country("MA", "Morocco"),
    Country("TN", "Tunisia"),
    Country("EG", "Egypt"),
    Country("NE", "Niger"),
)
REGIONS = (
    Region("north_africa", "North Africa", ("MA", "TN", "EG"), id=1),
    Region("sahel", "Sahel", ("NE",), id=2),
)


def seeded() -> FakeStore:
    """A fake store with the reference data and one initiative on Morocco (`MOROCCO`)."""
    tables = Tables(
        delegations={d.code: d for d in DELEGATIONS},
        countries={c.code: c for c in COUNTRIES},
        regions=list(REGIONS),
    )
    morocco = Initiative(
        id=tables.new_id(),
        ref="MP-MA-2013",
        title="Mobility Partnership with Morocco",
        type=InitiativeType.PARTNERSHIP,
        status=InitiativeStatus.ACTIVE,
        countries=("MA",),
        regions=(),
        lead=None,
        partners=(),
        instruments=(),
        funding=None,
        year=2013,
        start_date=None,
        end_date=None,
        source_url=None,
        notes=None,
        last_activity_at=EPOCH,
        created_at=EPOCH,
    )
    tables.initiatives[morocco.id] = morocco
    return FakeStore(tables)


MOROCCO = 1  # the id `seeded` gives its initiative
