"""The rules of membership on the in-memory store: admins manage members (never themselves), invitations
(their limits and use), and guests' access requests (first decision wins)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.domain import invites as tokens
from bot.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.domain.model import AccessRequest, Member
from bot.domain.outbox import OutboxKind, Outgoing
from bot.domain.reveals import Readers, Reveals
from bot.domain.vocab import MemberStatus, RequestStatus, Role
from bot.services import access_requests, invites, members
from bot.services.access_requests import RequestCard
from bot.services.actors import Actor
from tests.unit.fakes import FakeStore, seeded

NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
ADMIN, SECOND_ADMIN, CONTACT, OBSERVER, REVOKED, GUEST = 101, 107, 102, 103, 104, 105


@pytest.fixture
def fake() -> FakeStore:
    """Two admins (GSC), a contact (FR), an observer (FRONTEX), a revoked contact (DE)."""
    store = seeded()
    store.add_member(ADMIN, Role.ADMIN, "GSC")
    store.add_member(CONTACT, Role.CONTACT, "FR")
    store.add_member(OBSERVER, Role.OBSERVER, "FRONTEX")
    store.add_member(REVOKED, Role.CONTACT, "DE", status=MemberStatus.REVOKED)
    store.add_member(SECOND_ADMIN, Role.ADMIN, "GSC", reachable=False)
    return store


def ident(fake: FakeStore, telegram_user_id: int) -> int:
    return fake.member(telegram_user_id).id


# --- members ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "in_group", "message_id"),
    [
        (CONTACT, False, "error.not_allowed"),
        (OBSERVER, False, "error.not_allowed"),
        (REVOKED, False, "error.members_only"),
        (GUEST, False, "error.members_only"),
        (ADMIN, True, "error.private_only"),
    ],
)
async def test_only_an_admin_in_a_private_chat_manages_members(
    fake: FakeStore, who: int, in_group: bool, message_id: str
) -> None:
    actor, target = Actor(who, in_group=in_group), ident(fake, CONTACT)
    attempts = [
        members.list_members(fake.factory, actor),
        members.member_card(fake.factory, actor, target),
        members.revocable_member(fake.factory, actor, target),
        members.change_role(fake.factory, actor, target, Role.OBSERVER, NOW),
        members.set_status(fake.factory, actor, target, MemberStatus.REVOKED, NOW),
        members.move(fake.factory, actor, target, "DE", NOW),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed) as refused:
            await attempt
        assert refused.value.message_id == message_id
    assert fake.member(CONTACT).role is Role.CONTACT
    assert fake.commits == 0


async def test_an_admin_changes_a_role_and_it_is_audited_once(fake: FakeStore) -> None:
    target = ident(fake, CONTACT)
    changed = (await members.change_role(fake.factory, Actor(ADMIN), target, Role.OBSERVER, NOW)).member
    assert changed.role is Role.OBSERVER
    assert fake.member(CONTACT).role is Role.OBSERVER
    same = await members.change_role(fake.factory, Actor(ADMIN), target, Role.OBSERVER, NOW)
    assert same.member == changed
    assert fake.actions() == ["member.role_changed"]
    assert fake.tables.audit[0].details == {"from": "contact", "to": "observer"}
    assert fake.tables.audit[0].actor_id == ident(fake, ADMIN)


async def test_a_revoked_member_keeps_their_role_until_reinstated(fake: FakeStore) -> None:
    with pytest.raises(Conflict) as refused:
        await members.change_role(fake.factory, Actor(ADMIN), ident(fake, REVOKED), Role.ADMIN, NOW)
    assert refused.value.message_id == "members.is_revoked"


async def test_an_admin_revokes_and_reinstates_but_not_twice(fake: FakeStore) -> None:
    target = ident(fake, CONTACT)
    revoked = await members.set_status(fake.factory, Actor(ADMIN), target, MemberStatus.REVOKED, NOW)
    assert not revoked.member.active
    with pytest.raises(Conflict) as again:
        await members.set_status(fake.factory, Actor(ADMIN), target, MemberStatus.REVOKED, NOW)
    assert again.value.message_id == "members.already_revoked"
    back = await members.set_status(fake.factory, Actor(ADMIN), target, MemberStatus.ACTIVE, NOW)
    assert back.member.active
    assert fake.actions() == ["member.revoked", "member.reinstated"]


async def test_an_admin_moves_a_member_to_a_known_delegation(fake: FakeStore) -> None:
    target = ident(fake, CONTACT)
    with pytest.raises(NotFound) as unknown:
        await members.move(fake.factory, Actor(ADMIN), target, "XX", NOW)
    assert unknown.value.values == {"code": "XX"}
    moved = await members.move(fake.factory, Actor(ADMIN), target, "DE", NOW)
    assert moved.delegation.code == "DE"
    assert fake.member(CONTACT).delegation.code == "DE"
    assert await members.move(fake.factory, Actor(ADMIN), target, "DE", NOW) == moved
    assert fake.actions() == ["member.moved"]
    assert fake.tables.audit[0].details == {"from": "FR", "to": "DE"}


async def test_an_admin_never_acts_on_themselves(fake: FakeStore) -> None:
    me = ident(fake, ADMIN)
    attempts = [
        members.revocable_member(fake.factory, Actor(ADMIN), me),
        members.change_role(fake.factory, Actor(ADMIN), me, Role.CONTACT, NOW),
        members.set_status(fake.factory, Actor(ADMIN), me, MemberStatus.REVOKED, NOW),
        members.move(fake.factory, Actor(ADMIN), me, "FR", NOW),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed) as refused:
            await attempt
        assert refused.value.message_id == "members.not_yourself"
    assert fake.member(ADMIN).role is Role.ADMIN


async def test_an_erased_member_is_left_as_they_are(fake: FakeStore) -> None:
    erased = replace(fake.member(REVOKED), erased_at=NOW)
    fake.tables.members[erased.id] = erased
    attempts = [
        members.revocable_member(fake.factory, Actor(ADMIN), erased.id),
        members.change_role(fake.factory, Actor(ADMIN), erased.id, Role.OBSERVER, NOW),
        members.set_status(fake.factory, Actor(ADMIN), erased.id, MemberStatus.ACTIVE, NOW),
        members.move(fake.factory, Actor(ADMIN), erased.id, "FR", NOW),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict, match=r"^members\.is_erased$"):
            await attempt
    assert fake.tables.members[erased.id] == erased
    assert fake.tables.audit == []


async def test_an_unknown_member_is_not_found(fake: FakeStore) -> None:
    with pytest.raises(NotFound):
        await members.member_card(fake.factory, Actor(ADMIN), 999)
    with pytest.raises(NotFound):
        await members.change_role(fake.factory, Actor(ADMIN), 999, Role.OBSERVER, NOW)


async def test_blocking_and_unblocking_the_bot_is_recorded_once(fake: FakeStore) -> None:
    assert await members.set_reachable(fake.factory, GUEST, False, NOW) is None
    blocked = await members.set_reachable(fake.factory, CONTACT, False, NOW)
    assert blocked is not None
    assert not blocked.reachable
    await members.set_reachable(fake.factory, CONTACT, False, NOW)
    await members.set_reachable(fake.factory, CONTACT, True, NOW)
    assert fake.actions() == ["member.unreachable", "member.reachable"]


def test_a_role_from_a_button_must_be_a_role() -> None:
    assert members.parse_role("observer") is Role.OBSERVER
    with pytest.raises(InvalidInput):
        members.parse_role("owner")


# --- invitations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uses", "days"), [(0, 7), (tokens.MAX_USES + 1, 7), (1, 0), (1, tokens.MAX_DAYS + 1)]
)
async def test_invitation_limits(fake: FakeStore, uses: int, days: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        await invites.create_invite(fake.factory, Actor(ADMIN), Role.CONTACT, "FR", uses, days, NOW)
    assert refused.value.message_id == "invite.bad_limits"
    assert refused.value.values == {"max_uses": 500, "max_days": 90}
    assert fake.tables.invites == {}


async def test_an_invitation_at_the_limits_is_stored_as_a_hash_and_audited(fake: FakeStore) -> None:
    made = await invites.create_invite(fake.factory, Actor(ADMIN), Role.OBSERVER, "FRONTEX", 500, 90, NOW)
    assert tokens.well_formed(made.token)
    assert (made.invite.max_uses, made.invite.expires_at) == (500, NOW + dt.timedelta(days=90))
    [(stored_hash, _)] = fake.tables.invites.values()
    assert stored_hash == tokens.hash_token(made.token) != made.token
    assert fake.tables.audit[0].details["via"] == "chat"
    by_cli = await invites.create_invite(fake.factory, None, Role.ADMIN, "GSC", 1, 1, NOW)
    assert by_cli.invite.created_by is None
    assert fake.tables.audit[1].details["via"] == "command line"


async def test_only_admins_invite_and_only_to_a_known_delegation(fake: FakeStore) -> None:
    with pytest.raises(NotAllowed):
        await invites.create_invite(fake.factory, Actor(CONTACT), Role.CONTACT, "FR", 1, 7, NOW)
    with pytest.raises(NotFound):
        await invites.create_invite(fake.factory, Actor(ADMIN), Role.CONTACT, "XX", 1, 7, NOW)
    with pytest.raises(NotAllowed):
        await invites.open_invites(fake.factory, Actor(CONTACT), NOW)
    assert fake.tables.invites == {}


async def test_an_invitation_registers_as_many_people_as_it_has_uses_until_it_expires(
    fake: FakeStore,
) -> None:
    made = await invites.create_invite(fake.factory, Actor(ADMIN), Role.OBSERVER, "DE", 2, 1, NOW)
    first = await invites.redeem_invite(fake.factory, 201, 201, "  Anna  ", "de", made.token, NOW)
    assert (first.role, first.delegation.code, first.display_name, first.language) == (
        Role.OBSERVER,
        "DE",
        "Anna",
        "de",
    )
    with pytest.raises(Conflict, match=r"^start\.already_member$"):
        await invites.redeem_invite(fake.factory, 201, 201, "Anna", "de", made.token, NOW)
    expires = made.invite.expires_at
    with pytest.raises(InvalidInput, match=r"^start\.token_expired$"):
        await invites.redeem_invite(fake.factory, 202, 202, "Bo", "en", made.token, expires)
    second = await invites.redeem_invite(fake.factory, 202, 202, "", "en", made.token, NOW)
    assert second.display_name == "202"
    with pytest.raises(InvalidInput, match=r"^start\.token_used_up$"):
        await invites.redeem_invite(fake.factory, 203, 203, "Cy", "en", made.token, NOW)
    assert fake.actions() == ["invite.created", "member.registered", "member.registered"]


async def test_an_invitation_is_checked_before_the_privacy_notice_without_spending_a_use(
    fake: FakeStore,
) -> None:
    made = await invites.create_invite(fake.factory, Actor(ADMIN), Role.CONTACT, "FR", 1, 7, NOW)
    assert await invites.check_invite(fake.factory, 201, made.token, NOW) == made.invite
    assert await invites.check_invite(fake.factory, 201, made.token, NOW) == made.invite
    with pytest.raises(Conflict, match=r"^start\.already_member$"):
        await invites.check_invite(fake.factory, CONTACT, made.token, NOW)
    with pytest.raises(InvalidInput, match=r"^start\.token_expired$"):
        await invites.check_invite(fake.factory, 201, made.token, made.invite.expires_at)
    with pytest.raises(InvalidInput, match=r"^start\.bad_token$"):
        await invites.check_invite(fake.factory, 201, "?", NOW)
    assert (await invites.redeem_invite(fake.factory, 201, 201, "Anna", "fr", made.token, NOW)).active


async def test_a_revoked_member_is_never_let_back_in_by_an_invitation(fake: FakeStore) -> None:
    made = await invites.create_invite(fake.factory, Actor(ADMIN), Role.OBSERVER, "IT", 1, 7, NOW)
    with pytest.raises(Conflict, match=r"^start\.revoked_invite$"):
        await invites.redeem_invite(fake.factory, REVOKED, REVOKED, "Rolf", "en", made.token, NOW)
    assert not fake.member(REVOKED).active
    assert fake.tables.invites[made.invite.id][1].uses_left == 1


async def test_an_invitation_is_only_as_good_as_its_maker(fake: FakeStore) -> None:
    """An admin demoted or revoked loses the open invitations they made; one made by an admin who is no
    longer one is refused anyway."""
    second = fake.member(SECOND_ADMIN)
    kept = await invites.create_invite(fake.factory, Actor(ADMIN), Role.CONTACT, "FR", 1, 7, NOW)
    made = [await invites.create_invite(fake.factory, Actor(SECOND_ADMIN), Role.CONTACT, "FR", 1, 7, NOW)]
    changed = await members.change_role(fake.factory, Actor(ADMIN), second.id, Role.CONTACT, NOW)
    assert [i.id for i in changed.withdrawn] == [made[0].invite.id]
    assert [i.id for i in await invites.open_invites(fake.factory, Actor(ADMIN), NOW)] == [kept.invite.id]
    with pytest.raises(InvalidInput, match=r"^start\.token_revoked$"):
        await invites.redeem_invite(fake.factory, 201, 201, "Anna", "en", made[0].token, NOW)
    await members.change_role(fake.factory, Actor(ADMIN), second.id, Role.ADMIN, NOW)
    again = await invites.create_invite(fake.factory, Actor(SECOND_ADMIN), Role.CONTACT, "FR", 1, 7, NOW)
    revoked = await members.set_status(fake.factory, Actor(ADMIN), second.id, MemberStatus.REVOKED, NOW)
    assert [i.id for i in revoked.withdrawn] == [again.invite.id]
    # Left open by a change made elsewhere (the store edited by hand, an older version), it is refused.
    await members.set_status(fake.factory, Actor(ADMIN), second.id, MemberStatus.ACTIVE, NOW)
    left_open = await invites.create_invite(fake.factory, Actor(SECOND_ADMIN), Role.CONTACT, "FR", 1, 7, NOW)
    fake.tables.members[second.id] = replace(fake.member(SECOND_ADMIN), role=Role.OBSERVER)
    assert await invites.open_invites(fake.factory, Actor(ADMIN), NOW)  # still open, but
    with pytest.raises(InvalidInput, match=r"^start\.token_revoked$"):
        await invites.redeem_invite(fake.factory, 201, 201, "Anna", "en", left_open.token, NOW)


async def test_a_bad_or_revoked_token_registers_nobody(fake: FakeStore) -> None:
    with pytest.raises(InvalidInput, match=r"^start\.bad_token$"):
        await invites.redeem_invite(fake.factory, 201, 201, "A", "en", "not a token!", NOW)
    with pytest.raises(InvalidInput, match=r"^start\.bad_token$"):
        await invites.redeem_invite(fake.factory, 201, 201, "A", "en", tokens.new_token(), NOW)
    made = await invites.create_invite(fake.factory, Actor(ADMIN), Role.CONTACT, "FR", 5, 7, NOW)
    assert [i.id for i in await invites.open_invites(fake.factory, Actor(ADMIN), NOW)] == [made.invite.id]
    revoked = await invites.revoke_invite(fake.factory, Actor(ADMIN), made.invite.id, NOW)
    assert revoked.revoked_at == NOW
    with pytest.raises(Conflict, match=r"^invite\.already_revoked$"):
        await invites.revoke_invite(fake.factory, Actor(ADMIN), made.invite.id, NOW)
    with pytest.raises(NotFound):
        await invites.revoke_invite(fake.factory, Actor(ADMIN), 999, NOW)
    with pytest.raises(InvalidInput, match=r"^start\.token_revoked$"):
        await invites.redeem_invite(fake.factory, 201, 201, "A", "en", made.token, NOW)
    assert await invites.open_invites(fake.factory, Actor(ADMIN), NOW) == []
    assert all(m.telegram_user_id != 201 for m in fake.tables.members.values())


# --- access requests -------------------------------------------------------------------------------


def to_admin(admin: Member, card: RequestCard) -> Outgoing:
    return Outgoing(admin.telegram_user_id, OutboxKind.ACCESS, f"req:{card.request.id}:{admin.id}", ("?",))


def to_requester(request: AccessRequest, member: Member | None) -> Outgoing:
    reveals = Reveals(readers=Readers.ANYONE)
    return Outgoing(request.chat_id, OutboxKind.ACCESS, f"dec:{request.id}", ("!",), reveals=reveals)


async def submit(fake: FakeStore, who: int = GUEST, name: str = "Gus Guest", note: str = "") -> AccessRequest:
    submitted = await access_requests.submit_access_request(
        fake.factory, who, who, name, "FR", note, "en", NOW, to_admin
    )
    return submitted.request


@pytest.mark.parametrize(
    ("name", "note", "message_id"),
    [
        ("G", "", "request.bad_name"),
        ("x" * 101, "", "request.bad_name"),
        ("Gus", "n" * 501, "request.bad_note"),
    ],
)
async def test_a_request_names_a_person_and_keeps_its_note_short(
    fake: FakeStore, name: str, note: str, message_id: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await submit(fake, name=name, note=note)
    assert refused.value.message_id == message_id
    assert fake.tables.requests == {}


async def test_a_request_reaches_every_reachable_admin_and_waits_alone(fake: FakeStore) -> None:
    request = await submit(fake, name="  Gus \n  Guest ", note="  from Paris  ")
    assert (request.name, request.note, request.status) == ("Gus Guest", "from Paris", RequestStatus.PENDING)
    assert [r.message.chat_id for r in fake.rows()] == [ADMIN]
    with pytest.raises(Conflict, match=r"^request\.already_pending$"):
        await access_requests.can_request_access(fake.factory, GUEST)
    with pytest.raises(Conflict, match=r"^request\.already_pending$"):
        await submit(fake)
    with pytest.raises(Conflict, match=r"^start\.already_member$"):
        await access_requests.can_request_access(fake.factory, CONTACT)
    await access_requests.can_request_access(fake.factory, REVOKED)  # a revoked member may ask again
    with pytest.raises(NotFound):
        await access_requests.submit_access_request(
            fake.factory, 301, 301, "Someone", "XX", "", "en", NOW, to_admin
        )
    assert fake.actions() == ["access.requested"]


async def test_the_first_decision_wins_and_the_requester_hears_it(fake: FakeStore) -> None:
    request = await submit(fake)
    decided = await access_requests.decide_access_request(
        fake.factory, Actor(ADMIN), request.id, Role.OBSERVER, NOW, to_requester
    )
    assert decided.member is not None
    assert (decided.member.role, decided.member.delegation.code) == (Role.OBSERVER, "FR")
    assert decided.request.status is RequestStatus.APPROVED
    with pytest.raises(Conflict, match=r"^request\.already_decided$"):
        await access_requests.decide_access_request(
            fake.factory, Actor(ADMIN), request.id, None, NOW, to_requester
        )
    assert [r.message.dedupe_key for r in fake.rows()][-1] == f"dec:{request.id}"
    assert fake.actions() == ["access.requested", "access.approved"]


async def test_a_refusal_registers_nobody_and_only_contact_or_observer_is_granted(fake: FakeStore) -> None:
    request = await submit(fake)
    with pytest.raises(InvalidInput, match=r"^request\.bad_role$"):
        await access_requests.decide_access_request(
            fake.factory, Actor(ADMIN), request.id, Role.ADMIN, NOW, to_requester
        )
    with pytest.raises(NotAllowed):
        await access_requests.decide_access_request(
            fake.factory, Actor(CONTACT), request.id, Role.CONTACT, NOW, to_requester
        )
    refused = await access_requests.decide_access_request(
        fake.factory, Actor(ADMIN), request.id, None, NOW, to_requester
    )
    assert (refused.member, refused.request.status) == (None, RequestStatus.REFUSED)
    assert all(m.telegram_user_id != GUEST for m in fake.tables.members.values())
    assert await access_requests.pending_requests(fake.factory, Actor(ADMIN)) == []


async def test_approving_a_revoked_member_reinstates_them(fake: FakeStore) -> None:
    request = await submit(fake, who=REVOKED)
    decided = await access_requests.decide_access_request(
        fake.factory, Actor(ADMIN), request.id, Role.CONTACT, NOW, to_requester
    )
    assert decided.member is not None
    assert (decided.member.id, decided.member.active, decided.member.delegation.code) == (
        ident(fake, REVOKED),
        True,
        "FR",
    )


async def test_only_admins_read_requests(fake: FakeStore) -> None:
    request = await submit(fake)
    card = await access_requests.access_request(fake.factory, Actor(ADMIN), request.id)
    assert (card.request, card.known) == (request, None)
    with pytest.raises(NotFound):
        await access_requests.access_request(fake.factory, Actor(ADMIN), 999)
    with pytest.raises(NotAllowed):
        await access_requests.pending_requests(fake.factory, Actor(OBSERVER))
