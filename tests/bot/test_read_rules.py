"""The exchange's first promise, as properties: whatever happens between queuing and sending, every message
the bot sends is one its recipient may read at that instant, and AMBER or stricter content is protected.

A hypothesis state machine drives the real services and the real sender against a real store (SQLite and
PostgreSQL): posts of every label (RED with random readers), edits, label changes, withdrawals, role
changes, delegation moves, revocations and reinstatements, follows, digest sweeps, notices scheduled
ahead, clock steps, views through `process_update`, and sender steps that deliver part of the queue.
Every request the fake Bot API receives is checked, at the moment it arrives, against an oracle written
out by hand from SPEC.md's TLP table (not the production rule) and the model of who is who right now.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import re
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bot.console.botapi import ApiCall
from bot.console.updates import Identity
from bot.domain.access import member_may_read
from bot.domain.digests import Frequency, Scope
from bot.domain.errors import DomainError
from bot.domain.model import Delegation, Member, Update
from bot.domain.notices import Audience, AudienceKind, NoticeDraft
from bot.domain.posting import Draft, FollowKind
from bot.domain.vocab import DelegationKind, MemberStatus, Role, Tlp, UpdateKind
from bot.services import digests, members, notices, posting
from bot.services.actors import Actor
from bot.services.catalog import place_names
from handlers.digest_render import DigestRenderer
from handlers.notice_render import recipient_message
from handlers.update_render import notification
from storage.factory import open_store
from tests.conftest import NOW, register
from tests.databases import PostgresTemplates, SqliteTemplates, backends
from tests.harness import BotHarness, FixedClock

MOROCCO_MP = 5  # the seeded id of MP-MA-2013
REF = "MP-MA-2013"
OBSERVER_BODIES = {"FRONTEX", "EUAA"}
PROTECTED = {Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED}
SENDS = {"sendMessage", "sendDocument", "sendPhoto", "editMessageText"}
DELEGATIONS = ["FR", "DE", "IT", "GSC", "FRONTEX"]
ADMIN = 301  # the acting admin: never changed, so admin work is always possible
PEOPLE = {
    ADMIN: (Role.ADMIN, "GSC"),
    302: (Role.ADMIN, "COM"),
    311: (Role.CONTACT, "FR"),
    312: (Role.CONTACT, "FR"),
    313: (Role.CONTACT, "DE"),
    314: (Role.CONTACT, "IT"),
    321: (Role.OBSERVER, "FR"),  # an observer registered in a member state's delegation
    322: (Role.OBSERVER, "FRONTEX"),
}
CHANGEABLE = sorted(set(PEOPLE) - {ADMIN})


@dataclasses.dataclass
class Person:
    """What the model knows of a member right now."""

    member_id: int
    role: Role
    delegation: str
    active: bool = True


@dataclasses.dataclass
class Posted:
    """What the model knows of an update right now."""

    update_id: int
    author: int
    delegation: str
    tlp: Tlp
    named: frozenset[str]
    withdrawn: bool = False


def may_read(person: Person | None, update: Posted) -> bool:
    """SPEC.md's TLP table, written out by hand (labels nest; RED is exactly who the author chose)."""
    if person is None or not person.active or update.withdrawn:
        return False
    if person.role is Role.ADMIN:
        return True
    observer = person.role is Role.OBSERVER or person.delegation in OBSERVER_BODIES
    if update.tlp in (Tlp.CLEAR, Tlp.GREEN):
        return True
    if update.tlp is Tlp.AMBER:
        return not observer
    if update.tlp is Tlp.AMBER_STRICT:
        return not observer and person.delegation == update.delegation
    return person.delegation in update.named or (not observer and person.delegation == update.delegation)


def in_audience(person: Person | None, audience: Audience) -> bool:
    """Whether a member is, right now, in a notice's audience."""
    if person is None or not person.active:
        return False
    if audience.kind is AudienceKind.DELEGATIONS:
        return person.delegation in audience.values
    if audience.kind is AudienceKind.ROLE:
        return person.role.value in audience.values
    return audience.kind is AudienceKind.EVERYONE


class ReadRules(RuleBasedStateMachine):
    """The exchange under random changes; `fresh` (set by the test) makes each example's database."""

    fresh: Callable[[], tuple[str, Callable[[], None]]]

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.url, self.drop = type(self).fresh()
        self.store = open_store(self.url)
        self.clock = FixedClock(NOW)
        self.bot = BotHarness(self.store, self.clock)
        self.people: dict[int, Person] = {}
        self.updates: dict[int, Posted] = {}
        self.notices: dict[int, Audience] = {}
        self.violations: list[str] = []
        self.sent = 0
        self.counter = 0
        self.bot.api.subscribe(self._check)

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run one step of async work on this example's loop."""
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        """Deliver whatever is still queued (checked like every send), then stop, close, drop."""
        try:
            self.run(self.bot.deliver())
            self.nothing_leaked()
        finally:
            self._close()

    def _close(self) -> None:
        try:
            self.run(self.bot.stop())
            self.run(self.store.dispose())
        finally:
            self.loop.close()
            self.drop()

    @initialize()
    def setup(self) -> None:
        """Members of every kind, all following the Morocco partnership."""
        self.run(self.bot.start())
        for user_id, (role, delegation) in PEOPLE.items():
            self.run(register(self.store, user_id, role, delegation, f"P{user_id}"))
            member = self.run(self._member(user_id))
            self.people[user_id] = Person(member.id, role, delegation)
            self.run(
                posting.set_follow(
                    self.store.uow, Actor(user_id), FollowKind.INITIATIVE, str(MOROCCO_MP), True, NOW
                )
            )

    async def _member(self, user_id: int) -> Member:
        async with self.store.uow() as uow:
            found = await uow.members.by_telegram_id(user_id)
        assert found is not None
        return found

    # --- the oracle, at the instant each request arrives ------------------------------------------------

    def _check(self, call: ApiCall) -> None:
        if call.method not in SENDS:
            return
        chat = int(call.params["chat_id"])
        person = self.people.get(chat)
        body = " ".join(str(call.params.get(k) or "") for k in ("text", "caption", "document", "photo"))
        shown = [self.updates[int(n)] for n in re.findall(r"UPD(\d+)\b", body) if int(n) in self.updates]
        named = [self.notices[int(n)] for n in re.findall(r"NTC(\d+)\b", body) if int(n) in self.notices]
        if shown or named:
            self.sent += 1
        for update in shown:
            if not may_read(person, update):
                self.violations.append(f"{call.method} to {chat} ({person}) showed {update}")
        for audience in named:
            if not in_audience(person, audience):
                self.violations.append(f"{call.method} to {chat} ({person}) outside {audience}")
        if any(u.tlp in PROTECTED for u in shown) and not self._protected(call, chat):
            self.violations.append(f"{call.method} to {chat} unprotected with {shown}")

    def _protected(self, call: ApiCall, chat: int) -> bool:
        if call.method != "editMessageText":
            return bool(call.params.get("protect_content"))
        message = self.bot.api.chat(chat).messages.get(int(call.params["message_id"]), {})
        return bool(message.get("has_protected_content"))

    @invariant()
    def nothing_leaked(self) -> None:
        """Every request so far was readable by its recipient and protected where it had to be."""
        assert not self.violations, "\n".join(self.violations[:5])

    # --- what members and admins do -------------------------------------------------------------------

    def _try(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        try:
            return self.run(coroutine)
        except DomainError:
            return None

    @rule(
        author=st.sampled_from(sorted(PEOPLE)),
        tlp=st.sampled_from(list(Tlp)),
        named=st.frozensets(st.sampled_from(DELEGATIONS), max_size=2),
        attach=st.booleans(),
    )
    def post(self, author: int, tlp: Tlp, named: frozenset[str], attach: bool) -> None:
        """Someone posts on the followed initiative."""
        self.counter += 1
        n = self.counter
        draft = Draft(
            key=f"key{n}",
            initiative_id=MOROCCO_MP,
            kind=UpdateKind.PROGRESS,
            text=f"UPD{n} progress",
            tlp=tlp,
            red_delegations=named if tlp is Tlp.RED else frozenset(),
            attachment_kind="document" if attach else None,
            attachment_file_id=f"file-UPD{n}" if attach else None,
        )
        done = self._try(
            posting.post_update(self.store.uow, Actor(author), draft, self.clock.now(), notification)
        )
        if done is not None:
            person = self.people[author]
            self.updates[n] = Posted(done.update.id, author, person.delegation, tlp, draft.red_delegations)

    def _pick(self, data: st.DataObject) -> tuple[int, Posted] | None:
        live = [(k, u) for k, u in self.updates.items() if not u.withdrawn]
        return data.draw(st.sampled_from(live)) if live else None

    @precondition(lambda self: any(not u.withdrawn for u in self.updates.values()))
    @rule(data=st.data(), by_admin=st.booleans())
    def edit(self, data: st.DataObject, by_admin: bool) -> None:
        """The author (or an admin) corrects the text."""
        picked = self._pick(data)
        assert picked is not None
        n, update = picked
        who = ADMIN if by_admin else update.author
        self._try(
            posting.edit_update(
                self.store.uow,
                Actor(who),
                update.update_id,
                f"UPD{n} corrected",
                self.clock.now(),
                notification,
            )
        )

    @precondition(lambda self: any(not u.withdrawn for u in self.updates.values()))
    @rule(data=st.data(), tlp=st.sampled_from(list(Tlp)))
    def relabel(self, data: st.DataObject, tlp: Tlp) -> None:
        """The author (or an admin) changes the label."""
        picked = self._pick(data)
        assert picked is not None
        _, update = picked
        changed = self._try(
            posting.relabel_update(
                self.store.uow,
                Actor(ADMIN),
                update.update_id,
                tlp,
                update.named if tlp is Tlp.RED else frozenset(),
                self.clock.now(),
                notification,
            )
        )
        if changed is not None:
            update.tlp = tlp
            if tlp is not Tlp.RED:
                update.named = frozenset()

    @precondition(lambda self: any(not u.withdrawn for u in self.updates.values()))
    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        """An admin withdraws an update."""
        picked = self._pick(data)
        assert picked is not None
        _, update = picked
        done = self._try(
            posting.withdraw_update(self.store.uow, Actor(ADMIN), update.update_id, self.clock.now())
        )
        if done is not None or self._withdrawn(update.update_id):
            update.withdrawn = True

    def _withdrawn(self, update_id: int) -> bool:
        async def look() -> bool:
            async with self.store.uow() as uow:
                found = await uow.updates.by_id(update_id)
            return found is not None and found.withdrawn_at is not None

        return bool(self.run(look()))

    @rule(who=st.sampled_from(CHANGEABLE), role=st.sampled_from(list(Role)))
    def change_role(self, who: int, role: Role) -> None:
        """An admin gives someone another role."""
        person = self.people[who]
        if self._try(
            members.change_role(self.store.uow, Actor(ADMIN), person.member_id, role, self.clock.now())
        ):
            person.role = role

    @rule(who=st.sampled_from(CHANGEABLE), delegation=st.sampled_from(DELEGATIONS))
    def move(self, who: int, delegation: str) -> None:
        """Someone moves to another delegation."""
        person = self.people[who]
        if self._try(
            members.move(self.store.uow, Actor(ADMIN), person.member_id, delegation, self.clock.now())
        ):
            person.delegation = delegation

    @rule(who=st.sampled_from(CHANGEABLE), active=st.booleans())
    def revoke_or_reinstate(self, who: int, active: bool) -> None:
        """An admin revokes or reinstates someone."""
        person = self.people[who]
        status = MemberStatus.ACTIVE if active else MemberStatus.REVOKED
        if self._try(
            members.set_status(self.store.uow, Actor(ADMIN), person.member_id, status, self.clock.now())
        ):
            person.active = active

    @rule(who=st.sampled_from(sorted(PEOPLE)))
    def subscribe(self, who: int) -> None:
        """Someone subscribes to a daily digest of everything."""
        self._try(
            digests.subscribe(
                self.store.uow,
                Actor(who),
                Scope(),
                Frequency.DAILY,
                0,
                dt.time(8, 0),
                False,
                self.clock.now(),
            )
        )

    @rule()
    def digest_sweep(self) -> None:
        """The digest job runs: every digest due by now is queued."""

        async def sweep() -> None:
            regions, countries = await place_names(self.store.uow)
            await digests.send_due(self.store.uow, self.clock.now(), DigestRenderer(regions, countries))

        self.run(sweep())

    @rule(
        kind=st.sampled_from(["everyone", "admins", "FR", "DE"]),
        ahead=st.sampled_from([0, 60, 600]),
    )
    def notice(self, kind: str, ahead: int) -> None:
        """An admin broadcasts a notice, now or some minutes ahead."""
        self.counter += 1
        n = self.counter
        audience = {
            "everyone": Audience(AudienceKind.EVERYONE),
            "admins": Audience(AudienceKind.ROLE, ("admin",)),
        }.get(kind, Audience(AudienceKind.DELEGATIONS, (kind,)))
        draft = NoticeDraft(
            key=f"notice{n}",
            text=f"NTC{n} notice",
            audience=audience,
            send_at=self.clock.now() + dt.timedelta(minutes=ahead),
        )
        if self._try(
            notices.broadcast(self.store.uow, Actor(ADMIN), draft, self.clock.now(), recipient_message)
        ):
            self.notices[n] = audience

    @rule(minutes=st.sampled_from([1, 30, 90, 600, 1440]))
    def time_passes(self, minutes: int) -> None:
        """The clock moves on."""
        self.clock.current += dt.timedelta(minutes=minutes)

    @rule(limit=st.integers(min_value=1, max_value=6))
    def sender_step(self, limit: int) -> None:
        """The sender delivers part of what is due."""
        self.run(self.bot.deliver(limit=limit))

    @rule(who=st.sampled_from(sorted(PEOPLE)), view=st.sampled_from([f"/initiative {REF}", "/digest"]))
    def look(self, who: int, view: str) -> None:
        """Someone opens a view; its answer is checked like any message."""
        self.run(self.bot.app.process_update(self.bot.updates.message(Identity(who, f"P{who}"), view)))

    @rule()
    def sender_drains(self) -> None:
        """The sender catches up with everything due."""
        self.run(self.bot.deliver())


STATEFUL = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("backend", backends())
def test_every_message_is_readable_by_its_recipient_when_it_leaves(
    backend: str, request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    if backend == "sqlite":
        templates: SqliteTemplates = request.getfixturevalue("sqlite_templates")

        def fresh() -> tuple[str, Callable[[], None]]:
            return templates.fresh(tmp_path), lambda: None

    else:
        pg: PostgresTemplates = request.getfixturevalue("postgres_templates")

        def fresh() -> tuple[str, Callable[[], None]]:
            url = pg.fresh()
            return url, lambda: pg.drop(url)

    ReadRules.fresh = staticmethod(fresh)  # type: ignore[assignment]
    run_state_machine_as_test(ReadRules, settings=STATEFUL)


# --- labels nest --------------------------------------------------------------------------------------

KINDS = {
    "FR": DelegationKind.MEMBER_STATE,
    "GSC": DelegationKind.INSTITUTION,
    "FRONTEX": DelegationKind.OBSERVER,
}
NESTED = [Tlp.AMBER_STRICT, Tlp.AMBER, Tlp.GREEN, Tlp.CLEAR]


@settings(max_examples=300, deadline=None)
@given(
    role=st.sampled_from(list(Role)),
    reader=st.sampled_from(sorted(KINDS)),
    author=st.sampled_from(sorted(KINDS)),
    named=st.frozensets(st.sampled_from(sorted(KINDS))),
)
def test_whoever_may_read_a_label_may_read_every_looser_one(
    role: Role, reader: str, author: str, named: frozenset[str]
) -> None:
    member = Member(
        1, 1, "R", Delegation(reader, reader, KINDS[reader]), role, MemberStatus.ACTIVE, "en", "UTC", True
    )
    base = Update(1, 1, UpdateKind.OTHER, "t", Tlp.CLEAR, 2, author, NOW, red_delegations=named)
    readable = [member_may_read(member, dataclasses.replace(base, tlp=tlp)) for tlp in NESTED]
    for stricter, looser in itertools.pairwise(readable):
        assert not stricter or looser, (role, reader, author, readable)
