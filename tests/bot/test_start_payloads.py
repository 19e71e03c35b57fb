"""/start payloads, property by property: junk registers nobody; a real invitation registers exactly as
many people as it allows, never after it expired or was withdrawn, and never spends a use on a member."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.console.updates import Identity
from bot.domain.model import Invite
from bot.domain.vocab import MemberStatus, Role
from bot.services.actors import Actor
from bot.services.invites import CreatedInvite, create_invite, revoke_invite
from tests.bot.flows import past_privacy_notice
from tests.conftest import NOW
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


async def test_a_revoked_member_is_reinstated_by_a_new_invitation(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    created = await invitation(bot, Role.OBSERVER, "EUAA", uses=1)
    reply = await one_reply(bot, people["revoked"], f"/start {created.token}")
    assert "Welcome, Rolf! You are registered as a <b>observer</b> of <b>EUAA</b>" in reply
    async with bot.store.uow() as uow:
        rolf = await uow.members.by_telegram_id(people["revoked"].user_id)
        [entry] = await uow.audit.latest(1)
    assert rolf is not None and (rolf.role, rolf.delegation.code, rolf.status) == (
        Role.OBSERVER,
        "EUAA",
        MemberStatus.ACTIVE,
    )
    assert (entry.action, entry.actor_id) == ("member.reinstated", rolf.id)
    assert (await invite_now(bot, created.invite.id)).uses_left == 0


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
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    created = await invitation(bot, Role.CONTACT, "FR", uses=1)
    who = Identity(next(newcomer_ids), "Lurker", chat_id=-100123, chat_type="supergroup", chat_title="EMWP")
    before = await state(bot)
    reply = await one_reply(bot, who, f"/start {created.token}")
    assert "TLP:CLEAR" in reply
    assert await state(bot) == before
    assert (await invite_now(bot, created.invite.id)).uses_left == 1
