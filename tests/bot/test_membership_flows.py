"""Invitations, access requests, members, settings and reachability, end to end through real updates."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import update

from bot.console.updates import Identity
from bot.domain.vocab import RequestStatus, Role
from handlers.buttons import ShowRequest
from storage.factory import Store
from storage.models import MemberRow
from tests.bot.flows import alerts, buttons, last_with_buttons, open_invitation, request_access, tap
from tests.conftest import register
from tests.harness import BotHarness

LINK = re.compile(r"https://t\.me/(\w+)\?start=([A-Za-z0-9_-]+)")


async def invite_link(bot: BotHarness, admin: Identity, role: str, code: str, uses: str, days: str) -> str:
    """Walk the /invite flow with buttons; return the token from the link."""
    await bot.send(admin, "/invite")
    await tap(bot, admin, role)
    await tap(bot, admin, code)
    await tap(bot, admin, uses)
    [text] = bot.texts(await tap(bot, admin, days))
    match = LINK.search(text)
    assert match, text
    assert match.group(1) == bot.app.bot.username
    return match.group(2)


async def test_invite_flow_registers_the_invited_person(bot: BotHarness, people: dict[str, Identity]) -> None:
    token = await invite_link(bot, people["admin"], "contact", "PT", "1", "7 days")
    assert len(token) <= 64
    newcomer = Identity(700, "Paula", language_code="pt")
    calls = await open_invitation(bot, newcomer, token)
    [text] = bot.texts(calls)
    assert "You are registered as a <b>contact</b> of <b>PT</b>" in text
    assert "/settings" in text
    menus = [c for c in calls if c.method == "setMyCommands"]
    assert menus[-1].params["scope"] == {"type": "chat", "chat_id": 700}
    assert "settings" in [c["command"] for c in menus[-1].params["commands"]]
    async with bot.store.uow() as uow:
        member = await uow.members.by_telegram_id(700)
        actions = [e.action for e in await uow.audit.latest(3)]
    assert member is not None
    assert (member.role, member.delegation.code, member.display_name) == (Role.CONTACT, "PT", "Paula")
    assert actions[:2] == ["member.registered", "invite.created"]


async def test_a_one_use_invitation_registers_only_one_person(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    token = await invite_link(bot, people["admin"], "observer", "EUAA", "1", "1 day")
    await open_invitation(bot, Identity(701, "First"), token)
    [second] = bot.texts(await bot.send(Identity(702, "Second"), f"/start {token}"))
    assert "already been used as many times as it allows" in second
    async with bot.store.uow() as uow:
        assert await uow.members.by_telegram_id(702) is None


async def test_open_invitations_can_be_withdrawn(bot: BotHarness, people: dict[str, Identity]) -> None:
    admin = people["admin"]
    token = await invite_link(bot, admin, "contact", "IT", "5", "30 days")
    await bot.send(admin, "/invite")
    [listing] = bot.texts(await tap(bot, admin, "Open invitations"))
    assert "contact of IT, 5 of 5 uses left" in listing
    withdraw = next(
        label for label in buttons(last_with_buttons(bot, admin.user_id)) if label.startswith("Withdraw")
    )
    [question] = bot.texts(await tap(bot, admin, withdraw))
    assert "Withdraw this invitation?" in question and "contact of IT" in question
    [kept] = bot.texts(await tap(bot, admin, "No, keep it"))
    assert "contact of IT, 5 of 5 uses left" in kept
    await tap(bot, admin, withdraw)
    [done] = bot.texts(await tap(bot, admin, "Yes, withdraw"))
    assert "Nobody can use it any more" in done
    [reply] = bot.texts(await bot.send(Identity(703, "Late"), f"/start {token}"))
    assert "withdrawn" in reply


async def test_access_request_is_approved_by_an_admin(bot: BotHarness, people: dict[str, Identity]) -> None:
    guest, admin = people["guest"], people["admin"]
    seen = await request_access(bot, guest, "Gus  Example", "LU", "Deputy <head> & co")
    assert any("sent to the working party's admins" in s for s in seen)
    card = last_with_buttons(bot, admin.user_id)
    assert "Name: Gus Example" in card["text"]
    assert "Deputy &lt;head&gt; &amp; co" in card["text"]
    calls = await tap(bot, admin, "Approve as observer")
    texts = bot.texts(calls)
    assert any("approved as observer" in t for t in texts)
    told = [c for c in calls if c.method == "sendMessage" and c.params["chat_id"] == guest.user_id]
    assert "was approved" in told[0].params["text"]
    async with bot.store.uow() as uow:
        member = await uow.members.by_telegram_id(guest.user_id)
        [entry] = await uow.audit.latest(1)
    assert member is not None
    assert (member.role, member.delegation.code) == (Role.OBSERVER, "LU")
    assert entry.action == "access.approved"


async def test_the_request_card_gives_a_way_to_reach_the_requester(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    guest = Identity(160, "Ana", username="ana_sec")
    await request_access(bot, guest, "Ana Secretariat", "GSC", None)
    card = last_with_buttons(bot, admin.user_id)["text"]
    assert '<a href="tg://user?id=160">Ana Secretariat</a> · @ana_sec · id 160' in card
    assert "already known" not in card
    async with bot.store.uow() as uow:
        [request] = await uow.requests.pending()
    assert request.username == "ana_sec"
    nameless = Identity(161, "Nobody")  # no @username: the mention link still opens the profile
    await request_access(bot, nameless, "No <Handle>", "BE", None)
    card = last_with_buttons(bot, admin.user_id)["text"]
    assert '<a href="tg://user?id=161">No &lt;Handle&gt;</a> · id 161' in card and "@" not in card


async def test_the_request_card_says_when_the_account_is_a_revoked_member(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    """Rolf (DE, revoked) asks again as "Ana Secretariat" of GSC: the admins must see who he is."""
    admin, rolf = people["admin"], people["revoked"]
    revoked_at = bot.clock.now() - dt.timedelta(days=30)
    async with store.engine.begin() as connection:
        await connection.execute(
            update(MemberRow)
            .where(MemberRow.telegram_user_id == rolf.user_id)
            .values(status_since=revoked_at)
        )
    await request_access(bot, rolf, "Ana Secretariat", "GSC", "new job")
    card = last_with_buttons(bot, admin.user_id)["text"]
    assert "Name: Ana Secretariat" in card and "Delegation: GSC" in card
    assert "This Telegram account is already known:</b> Rolf (DE), contact, revoked since 2026-10-28" in card
    async with store.uow() as uow:
        [request] = await uow.requests.pending()
        [entry] = await uow.audit.latest(1)
        rolf_member = await uow.members.by_telegram_id(rolf.user_id)
    assert rolf_member is not None
    assert (entry.action, entry.details["known_member"]) == ("access.requested", rolf_member.id)
    await bot.send(admin, "/members")
    [again] = bot.texts(await tap(bot, admin, "Review request: Ana Secretariat (GSC)"))
    assert "Rolf (DE), contact, revoked since 2026-10-28" in again
    await tap(bot, admin, "Approve as contact")
    await bot.send(admin, "/members")
    [reshown] = bot.texts(
        await bot.press(admin, last_with_buttons(bot, admin.user_id), ShowRequest(request.id).data)
    )
    assert f"Rolf (GSC), contact, active since {bot.clock.now():%Y-%m-%d}" in reshown  # approved into GSC


async def test_the_first_decision_wins(bot: BotHarness, store: Store, people: dict[str, Identity]) -> None:
    from tests.conftest import register

    second_admin = await register(store, 150, Role.ADMIN, "COM", "Sam")
    guest, admin = people["guest"], people["admin"]
    await request_access(bot, guest, "Gus", "BE", None)
    [question] = bot.texts(await tap(bot, admin, "Refuse"))
    assert "Refuse access request #1 (Gus, BE)?" in question
    [kept] = bot.texts(await tap(bot, admin, "No, keep it"))
    assert "Access request #1" in kept
    async with bot.store.uow() as uow:
        pending = await uow.requests.by_id(1)
    assert pending is not None and pending.status is RequestStatus.PENDING, "'No' must change nothing"
    await tap(bot, admin, "Refuse")
    await tap(bot, admin, "Yes, refuse")
    calls = await tap(bot, second_admin, "Approve as contact")
    assert "Another admin has already decided" in alerts(calls)[0]
    async with bot.store.uow() as uow:
        assert await uow.members.by_telegram_id(guest.user_id) is None
        [request] = [r for r in [await uow.requests.by_id(1)] if r]
    assert request.status is RequestStatus.REFUSED


async def test_request_flow_checks_each_answer_and_can_be_cancelled(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    guest = people["guest"]
    await bot.send(guest, "/start")
    await tap(bot, guest, "Request access")
    await tap(bot, guest, "✅ Continue")
    [short] = bot.texts(await bot.send(guest, "G"))
    assert "2 to 100 characters" in short
    await bot.send(guest, "Gus Valid")
    await tap(bot, guest, "NL")
    [long_note] = bot.texts(await bot.send(guest, "x" * 501))
    assert "501 characters long; the limit is 500" in long_note
    [cancelled] = bot.texts(await bot.send(guest, "/cancel"))
    assert "Cancelled" in cancelled
    async with bot.store.uow() as uow:
        assert await uow.requests.pending_for(guest.user_id) is None
    [after] = bot.texts(await bot.send(guest, "hello"))
    assert "/start explains how to get access" in after


async def test_a_second_request_waits_for_the_first(bot: BotHarness, people: dict[str, Identity]) -> None:
    guest = people["guest"]
    await request_access(bot, guest, "Gus", "SE", None)
    await bot.send(guest, "/start")
    calls = await tap(bot, guest, "Request access")
    assert "already waiting" in alerts(calls)[0]


async def test_revoked_member_loses_access_at_the_next_update_and_can_be_reinstated(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    admin, contact = people["admin"], people["contact"]
    await bot.send(admin, "/members")
    await tap(bot, admin, "FR · Claire · contact")
    await tap(bot, admin, "Revoke access")
    calls = await tap(bot, admin, "Yes, revoke")
    assert "Status: revoked" in bot.texts(calls)[0]
    assert any(
        c.method == "deleteMyCommands" and c.params["scope"]["chat_id"] == contact.user_id for c in calls
    )
    [refused] = bot.texts(await bot.send(contact, "/settings"))
    assert "for members of the working party" in refused
    await tap(bot, admin, "Reinstate")
    [back] = bot.texts(await bot.send(contact, "/settings"))
    assert "Your settings" in back


async def test_revoking_an_admin_lists_the_invitations_it_withdrew(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    bea = await register(store, 120, Role.ADMIN, "GSC", "Bea")
    token = await invite_link(bot, bea, "admin", "GSC", "5", "30 days")
    await bot.send(admin, "/members")
    await tap(bot, admin, "GSC · Bea · admin")
    await tap(bot, admin, "Revoke access")
    [confirmation] = bot.texts(await tap(bot, admin, "Yes, revoke"))
    assert "Status: revoked" in confirmation
    assert "Withdrawn with it: 1 open invitation they made" in confirmation
    assert "admin of GSC, 5 of 5 uses left" in confirmation
    [reply] = bot.texts(await bot.send(bea, f"/start {token}"))
    assert "an invitation cannot bring you back" in reply
    [late] = bot.texts(await bot.send(Identity(704, "Late"), f"/start {token}"))
    assert "withdrawn" in late


async def role_of(bot: BotHarness, who: Identity) -> Role | None:
    """The role `who` has in the store now."""
    async with bot.store.uow(read_only=True) as uow:
        member = await uow.members.by_telegram_id(who.user_id)
    return None if member is None else member.role


async def test_role_change_updates_the_members_menu(bot: BotHarness, people: dict[str, Identity]) -> None:
    admin, observer = people["admin"], people["observer"]
    await bot.send(admin, "/members")
    await tap(bot, admin, "FRONTEX · Otto · observer")
    [question] = bot.texts(await tap(bot, admin, "Make admin"))
    assert "Make Otto (FRONTEX) an admin?" in question
    [kept] = bot.texts(await tap(bot, admin, "No, keep"))
    assert "Role: observer" in kept
    assert (await role_of(bot, observer)) is Role.OBSERVER
    await tap(bot, admin, "Make admin")
    calls = await tap(bot, admin, "Yes, make admin")
    assert "Role: admin" in bot.texts(calls)[0]
    assert (await role_of(bot, observer)) is Role.ADMIN
    [menu] = [c for c in calls if c.method == "setMyCommands"]
    assert menu.params["scope"] == {"type": "chat", "chat_id": observer.user_id}
    assert "members" in [c["command"] for c in menu.params["commands"]]
    [now_admin] = bot.texts(await bot.send(observer, "/audit"))
    assert "Audit log" in now_admin
    assert "member.role_changed" in now_admin


async def test_settings_change_language_and_time_zone(bot: BotHarness, people: dict[str, Identity]) -> None:
    contact = people["contact"]
    await bot.send(contact, "/settings")
    [french] = bot.texts(await tap(bot, contact, "Français"))
    assert "Vos réglages" in french
    await tap(bot, contact, "Autre fuseau horaire…")
    [bad] = bot.texts(await bot.send(contact, "Europe/Atlantis"))
    assert (
        "«\u202fEurope/Atlantis\u202f» n'est ni un fuseau horaire, ni une ville, ni un pays que je connais"
        in bad
    )
    [good] = bot.texts(await bot.send(contact, "america/new york"))
    assert "Fuseau horaire\u202f: America/New_York" in good
    [help_fr] = bot.texts(await bot.send(contact, "/help"))
    assert "Ce que vous pouvez faire ici" in help_fr


async def test_blocking_the_bot_marks_the_member_unreachable(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    contact = people["contact"]

    def status_change(old: str, new: str) -> dict[str, object]:
        bot_user = {"id": bot.api.bot_user["id"], "is_bot": True, "first_name": "EMWP"}
        return {
            "my_chat_member": {
                "chat": contact.chat,
                "from": contact.user,
                "date": 0,
                "old_chat_member": {"status": old, "user": bot_user, "until_date": 0},
                "new_chat_member": {"status": new, "user": bot_user, "until_date": 0},
            }
        }

    await bot.process(bot.updates.raw(status_change("member", "kicked")))
    async with bot.store.uow() as uow:
        blocked = await uow.members.by_telegram_id(contact.user_id)
    await bot.process(bot.updates.raw(status_change("kicked", "member")))
    async with bot.store.uow() as uow:
        back = await uow.members.by_telegram_id(contact.user_id)
        actions = [e.action for e in await uow.audit.latest(2)]
    assert blocked is not None and not blocked.reachable
    assert back is not None and back.reachable
    assert actions == ["member.reachable", "member.unreachable"]


async def test_an_abandoned_flow_ends_by_itself_and_says_so(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    guest = people["guest"]
    await bot.send(guest, "/start")
    await tap(bot, guest, "Request access")
    job_queue = bot.app.job_queue
    assert job_queue is not None
    [timeout] = job_queue.jobs()  # the flow's 30-minute timeout, the only job scheduled
    assert timeout.next_t is not None
    # APScheduler keeps real time; the flow's timeout is due about 30 minutes from now.
    assert 29 * 60 < (timeout.next_t - dt.datetime.now(dt.UTC)).total_seconds() <= 30 * 60
    before = len(bot.api.calls)
    await timeout.run(bot.app)
    sent = bot.texts(bot.api.calls[before:])
    assert any("ended after 30 minutes" in s for s in sent)
    [after] = bot.texts(await bot.send(guest, "Gus Late"))
    assert "/start explains how to get access" in after
