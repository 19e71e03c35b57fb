"""/start payloads, property by property: junk registers nobody; a real invitation registers exactly as
many people as it allows, never after it expired or was withdrawn, and never spends a use on a member."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from bot.console.updates import Identity
from bot.domain.model import Invite
from bot.domain.vocab import MemberStatus, Role
from bot.services.actors import Actor
from bot.services.invites import CreatedInvite, create_invite, revoke_invite
from bot.services.members import change_role, set_status
from storage.models import MemberRow
from tests.bot.flows import past_privacy_notice
from tests.conftest import NOW, register
from tests.harness import BotHarness

PROPERTY = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FEW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

BAD_TOKEN = "This invitation link is not valid."
USED_UP = "already been used as many times as it allows"
EXPIRED = "This invitation has expired."
WITHDRAWN = "This invitation was withdrawn."
ALREADY = "You are already a member."
GUEST_WELCOME = "closed to the working party's members"
SHORT = 1200  # a welcome lists the role's commands; every other answer is far shorter

# Fresh Telegram users for every example: the bot fixture (and its store) lives across examples.
newcomer_ids = itertools.count(300_000)

token_chars = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
well_formed = st.text(token_chars, min_size=1, max_size=64)
over_long = st.text(token_chars, min_size=65, max_size=400)
unicode_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200)
several_words = st.lists(well_formed, min_size=2, max_size=5).map(" ".join)
any_payload = st.one_of(well_formed, over_long, unicode_text, several_words, st.just(""), st.just("   "))
roles = st.sampled_from(list(Role))
delegations = st.sampled_from(["FR", "PT", "IT", "NL", "GSC", "COM", "FRONTEX", "EUAA"])


def newcomer(language: str = "en") -> Identity:
    """A Telegram user the store has never seen."""
    user_id = next(newcomer_ids)
    return Identity(user_id, f"New{user_id}", language_code=language)


async def state(bot: BotHarness) -> tuple[int, int]:
    """How many members and audit entries the store holds."""
    async with bot.store.uow() as uow:
        return await uow.members.count(), len(await uow.audit.latest(100_000))


async def invite_now(bot: BotHarness, invite_id: int) -> Invite:
    """One invitation as stored now."""
    async with bot.store.uow() as uow:
        invite = await uow.invites.by_id(invite_id)
    assert invite is not None
    return invite


async def invitation(bot: BotHarness, role: Role, code: str, uses: int = 1, days: int = 7) -> CreatedInvite:
    """An invitation made as the command line makes it (no acting admin), at the clock's time."""
    return await create_invite(bot.store.uow, None, role, code, uses, days, bot.clock.now())


async def one_reply(bot: BotHarness, who: Identity, text: str) -> str:
    """Send `text` (and continue past the privacy notice if it shows one); exactly one short message."""
    replies = bot.texts(await past_privacy_notice(bot, who, await bot.send(who, text)))
    assert len(replies) == 1, replies
    assert 0 < len(replies[0]) <= SHORT
    return replies[0]


@PROPERTY
@given(payload=any_payload)
async def test_no_payload_of_a_guest_registers_anybody(
    bot: BotHarness, people: dict[str, Identity], payload: str
) -> None:
    bot.clock.current = NOW
    before = await state(bot)
    reply = await one_reply(bot, people["guest"], f"/start {payload}")
    expected = BAD_TOKEN if payload.split() else GUEST_WELCOME
    assert expected in reply
    assert "Traceback" not in reply and "Welcome," not in reply
    assert await state(bot) == before
    async with bot.store.uow() as uow:
        assert await uow.members.by_telegram_id(people["guest"].user_id) is None


@FEW
@given(role=roles, code=delegations, uses=st.integers(1, 3), extra=st.integers(1, 2))
async def test_a_real_invitation_registers_exactly_as_many_people_as_it_allows(
    bot: BotHarness, people: dict[str, Identity], role: Role, code: str, uses: int, extra: int
) -> None:
    bot.clock.current = NOW
    created = await invitation(bot, role, code, uses)
    claimants = [newcomer() for _ in range(uses + extra)]
    replies = [await one_reply(bot, who, f"/start {created.token}") for who in claimants]

    for who, reply in zip(claimants[:uses], replies, strict=False):
        assert (
            f"Welcome, {who.first_name}! You are registered as a <b>{role.value}</b> of <b>{code}</b>"
            in reply
        )
    for reply in replies[uses:]:
        assert USED_UP in reply
    async with bot.store.uow() as uow:
        registered = [await uow.members.by_telegram_id(who.user_id) for who in claimants]
        entries = await uow.audit.latest(uses + 1)
    assert [(m.role, m.delegation.code, m.status) for m in registered[:uses] if m] == [
        (role, code, MemberStatus.ACTIVE)
    ] * uses
    assert registered[uses:] == [None] * extra
    assert (await invite_now(bot, created.invite.id)).uses_left == 0
    assert [e.action for e in entries] == ["member.registered"] * uses + ["invite.created"]
    assert all(e.details["invite"] == created.invite.id for e in entries[:uses])


@FEW
@given(days=st.integers(1, 90), late=st.integers(0, 30 * 24 * 3600))
async def test_an_expired_invitation_registers_nobody(
    bot: BotHarness, people: dict[str, Identity], days: int, late: int
) -> None:
    bot.clock.current = NOW
    created = await invitation(bot, Role.CONTACT, "FR", uses=3, days=days)
    bot.clock.current = NOW + dt.timedelta(days=days, seconds=late)
    before = await state(bot)
    who = newcomer()
    assert EXPIRED in await one_reply(bot, who, f"/start {created.token}")
    assert await state(bot) == before
    assert (await invite_now(bot, created.invite.id)).uses_left == 3


async def test_an_invitation_is_good_until_the_second_it_expires(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    created = await invitation(bot, Role.OBSERVER, "EUAA", uses=1, days=1)
    bot.clock.current = NOW + dt.timedelta(days=1, seconds=-1)
    assert "registered as a <b>observer</b> of <b>EUAA</b>" in await one_reply(
        bot, newcomer(), f"/start {created.token}"
    )
    later = await invitation(bot, Role.OBSERVER, "EUAA", uses=1, days=1)
    bot.clock.current += dt.timedelta(days=1)
    assert EXPIRED in await one_reply(bot, newcomer(), f"/start {later.token}")


@FEW
@given(role=roles, code=delegations, uses=st.integers(1, 5))
async def test_a_withdrawn_invitation_registers_nobody(
    bot: BotHarness, people: dict[str, Identity], role: Role, code: str, uses: int
) -> None:
    bot.clock.current = NOW
    created = await invitation(bot, role, code, uses)
    await revoke_invite(bot.store.uow, Actor(people["admin"].user_id), created.invite.id, bot.clock.now())
    before = await state(bot)
    assert WITHDRAWN in await one_reply(bot, newcomer(), f"/start {created.token}")
    assert await state(bot) == before
    assert (await invite_now(bot, created.invite.id)).uses_left == uses


@FEW
@given(member=st.sampled_from(["admin", "contact", "observer"]), role=roles, code=delegations)
async def test_a_member_opening_an_invitation_keeps_their_role_and_spends_no_use(
    bot: BotHarness, people: dict[str, Identity], member: str, role: Role, code: str
) -> None:
    bot.clock.current = NOW
    created = await invitation(bot, role, code, uses=1)
    who = people[member]
    before = await state(bot)
    assert ALREADY in await one_reply(bot, who, f"/start {created.token}")
    assert await state(bot) == before
    assert (await invite_now(bot, created.invite.id)).uses_left == 1
    async with bot.store.uow() as uow:
        stored = await uow.members.by_telegram_id(who.user_id)
    assert stored is not None and stored.role is Role(member) and stored.status is MemberStatus.ACTIVE
    # The use is still there for the person it was meant for.
    assert "Welcome," in await one_reply(bot, newcomer(), f"/start {created.token}")


REVOKED_ASK = "ask the Council Secretariat to restore it"


async def test_a_revoked_member_is_not_let_back_in_by_the_link_they_first_used(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    """Ivo registered with a 30-use link and was revoked: the same link must not bring him back."""
    created = await invitation(bot, Role.CONTACT, "IT", uses=30)
    ivo = newcomer()
    assert "You are registered as a <b>contact</b> of <b>IT</b>" in await one_reply(
        bot, ivo, f"/start {created.token}"
    )
    async with bot.store.uow() as uow:
        registered = await uow.members.by_telegram_id(ivo.user_id)
    assert registered is not None
    await set_status(bot.store.uow, Actor(people["admin"].user_id), registered.id, MemberStatus.REVOKED, NOW)
    before = await state(bot)
    reply = await one_reply(bot, ivo, f"/start {created.token}")
    assert REVOKED_ASK in reply and "Welcome" not in reply
    assert await state(bot) == before
    async with bot.store.uow() as uow:
        ivo_now = await uow.members.by_telegram_id(ivo.user_id)
    assert ivo_now is not None and ivo_now.status is MemberStatus.REVOKED
    assert (await invite_now(bot, created.invite.id)).uses_left == 29


@FEW
@given(role=roles, code=delegations)
async def test_a_revoked_member_cannot_redeem_any_invitation(
    bot: BotHarness, people: dict[str, Identity], role: Role, code: str
) -> None:
    bot.clock.current = NOW
    created = await invitation(bot, role, code, uses=2)
    before = await state(bot)
    assert REVOKED_ASK in await one_reply(bot, people["revoked"], f"/start {created.token}")
    assert await state(bot) == before
    assert (await invite_now(bot, created.invite.id)).uses_left == 2
    async with bot.store.uow() as uow:
        rolf = await uow.members.by_telegram_id(people["revoked"].user_id)
    assert rolf is not None and (rolf.status, rolf.role, rolf.delegation.code) == (
        MemberStatus.REVOKED,
        Role.CONTACT,
        "DE",
    )


async def test_revoking_an_admin_withdraws_the_invitations_they_made(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    """A revoked admin re-registered with an admin link they had made: revoking withdraws it first."""
    boss = await register(bot.store, 120, Role.ADMIN, "GSC", "Bea")
    made = await create_invite(bot.store.uow, Actor(boss.user_id), Role.ADMIN, "GSC", 3, 7, NOW)
    other = await create_invite(bot.store.uow, Actor(people["admin"].user_id), Role.CONTACT, "FR", 1, 7, NOW)
    async with bot.store.uow() as uow:
        bea = await uow.members.by_telegram_id(boss.user_id)
        ana = await uow.members.by_telegram_id(people["admin"].user_id)
    assert bea is not None and ana is not None
    ana_acts = Actor(people["admin"].user_id)
    change = await set_status(bot.store.uow, ana_acts, bea.id, MemberStatus.REVOKED, NOW)
    assert [i.id for i in change.withdrawn] == [made.invite.id]
    withdrawn = await invite_now(bot, made.invite.id)
    assert (withdrawn.revoked_at, withdrawn.uses_left) == (NOW, 3)
    assert (await invite_now(bot, other.invite.id)).revoked_at is None
    async with bot.store.uow() as uow:
        entries = await uow.audit.latest(2)
    assert [(e.action, e.actor_id, e.subject, e.details.get("reason")) for e in entries] == [
        ("invite.revoked", ana.id, f"invite {made.invite.id}", "maker revoked"),
        ("member.revoked", ana.id, f"member {bea.id}", None),
    ]
    before = await state(bot)
    assert REVOKED_ASK in await one_reply(bot, boss, f"/start {made.token}")
    assert WITHDRAWN in await one_reply(bot, newcomer(), f"/start {made.token}")
    assert await state(bot) == before


async def test_demoting_an_admin_withdraws_the_invitations_they_made(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    boss = await register(bot.store, 121, Role.ADMIN, "COM", "Bo")
    made = await create_invite(bot.store.uow, Actor(boss.user_id), Role.OBSERVER, "EUAA", 5, 7, NOW)
    async with bot.store.uow() as uow:
        bo = await uow.members.by_telegram_id(boss.user_id)
    assert bo is not None
    change = await change_role(bot.store.uow, Actor(people["admin"].user_id), bo.id, Role.CONTACT, NOW)
    assert change.member.role is Role.CONTACT and [i.id for i in change.withdrawn] == [made.invite.id]
    assert WITHDRAWN in await one_reply(bot, newcomer(), f"/start {made.token}")
    promoted = await change_role(bot.store.uow, Actor(people["admin"].user_id), bo.id, Role.ADMIN, NOW)
    assert promoted.withdrawn == ()  # nothing is given back by promoting again


async def test_an_invitation_whose_maker_lost_admin_rights_otherwise_registers_nobody(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    """Invitations made before makers' invitations were withdrawn with them: refused when redeemed."""
    boss = await register(bot.store, 122, Role.ADMIN, "EEAS", "Eve")
    made = await create_invite(bot.store.uow, Actor(boss.user_id), Role.CONTACT, "EEAS", 2, 7, NOW)
    async with bot.store.engine.begin() as connection:
        await connection.execute(
            update(MemberRow).where(MemberRow.telegram_user_id == boss.user_id).values(status="revoked")
        )
    before = await state(bot)
    assert WITHDRAWN in await one_reply(bot, newcomer(), f"/start {made.token}")
    assert await state(bot) == before
    assert (await invite_now(bot, made.invite.id)).uses_left == 2


@PROPERTY
@given(position=st.integers(0, 42), replacement=token_chars, suffix=st.sampled_from(["", "x", " extra"]))
async def test_a_token_altered_in_any_way_is_not_valid(
    bot: BotHarness, people: dict[str, Identity], position: int, replacement: str, suffix: str
) -> None:
    bot.clock.current = NOW
    created = await invitation(bot, Role.ADMIN, "GSC", uses=1)
    token = created.token
    altered = token[:position] + replacement + token[position + 1 :] + suffix
    if altered == token:
        return
    before = await state(bot)
    assert BAD_TOKEN in await one_reply(bot, newcomer(), f"/start {altered}")
    assert await state(bot) == before
    assert (await invite_now(bot, created.invite.id)).uses_left == 1


async def test_a_token_sent_in_the_group_registers_nobody_and_spends_no_use(
    bot: BotHarness, people: dict[str, Identity], working_group: int
) -> None:
    created = await invitation(bot, Role.CONTACT, "FR", uses=1)
    who = Identity(next(newcomer_ids), "Lurker", chat_id=-100123, chat_type="supergroup", chat_title="EMWP")
    before = await state(bot)
    reply = await one_reply(bot, who, f"/start {created.token}")
    assert "TLP:CLEAR" in reply
    assert await state(bot) == before
    assert (await invite_now(bot, created.invite.id)).uses_left == 1
