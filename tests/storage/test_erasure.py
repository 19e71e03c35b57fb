"""Erasure, end to end on real SQLite and PostgreSQL: a person who requested access, joined, posted,
edited, followed, subscribed, received notices, digests and alerts and asked for their data is erased
from /members; then every column of every table is scanned for their name, Telegram id and username,
and their updates are read back, attributed to their delegation."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from bot.cli import main
from bot.console.updates import Identity
from bot.domain.digests import Scope
from bot.domain.notices import Audience, AudienceKind, NoticeDraft
from bot.domain.posting import Draft, FollowKind
from bot.domain.vocab import MemberStatus, Role, Tlp, UpdateKind
from bot.services import digests, notices, posting, preferences
from bot.services.access_requests import submit_access_request
from bot.services.actors import Actor
from bot.services.catalog import place_names
from bot.services.invites import create_invite
from handlers.access_request import admin_notice
from handlers.buttons import ShowMember
from handlers.digest_render import DigestRenderer
from handlers.members import AskErase, AskMakeAdmin, AskRevoke, ChangeRole, Erase, MembersPage, Reinstate
from handlers.notice_render import recipient_message
from handlers.update_render import notification
from storage.factory import Store, open_store
from tests.bot.flows import alerts, open_invitation, request_access, tap
from tests.harness import BotHarness

NAME, TELEGRAM_ID, USERNAME = "Zephyrine Quellmark", 987654321, "zq_emwp"
SUBJECT = Identity(TELEGRAM_ID, NAME, username=USERNAME)
TRACES = ("zephyrine", "quellmark", str(TELEGRAM_ID), USERNAME)
HOUR = dt.timedelta(hours=1)


async def initiative_id(store: Store, ref: str) -> int:
    """A seeded initiative's id."""
    async with store.uow() as uow:
        found = await uow.initiatives.by_ref(ref)
    assert found is not None
    return found.id


async def live_a_while(bot: BotHarness, people: dict[str, Identity]) -> int:
    """Everything a member leaves in the store, through the bot and the services it calls; the member id."""
    admin, actor = people["admin"], Actor(TELEGRAM_ID)
    await request_access(bot, SUBJECT, NAME, "PT", f"Deputy head of unit. Call {NAME} on @{USERNAME}")
    await tap(bot, admin, "Refuse")
    await tap(bot, admin, "Yes, refuse")
    created = await create_invite(
        bot.store.uow, Actor(admin.user_id), Role.CONTACT, "PT", 1, 7, bot.clock.now()
    )
    [welcome] = bot.texts(await open_invitation(bot, SUBJECT, created.token))
    assert f"Welcome, {NAME}!" in welcome
    now = bot.clock.now()
    await preferences.set_time_zone(bot.store.uow, actor, "Europe/Lisbon", now)
    morocco = await initiative_id(bot.store, "MP-MA-2013")
    await posting.set_follow(bot.store.uow, actor, FollowKind.INITIATIVE, str(morocco), True, now)
    await posting.set_follow(bot.store.uow, actor, FollowKind.COUNTRY, "TN", True, now)
    await digests.subscribe(bot.store.uow, actor, Scope(), digests.Frequency.DAILY, 0, dt.time(8), True, now)
    for label, tlp in (("green", Tlp.GREEN), ("amber", Tlp.AMBER)):
        draft = Draft(uuid.uuid4().hex, morocco, UpdateKind.PROGRESS, f"Rabat talks moved on ({label})", tlp)
        posted = await posting.post_update(bot.store.uow, actor, draft, now, notification)
    await posting.edit_update(
        bot.store.uow, actor, posted.update.id, "Rabat talks moved on, amended", now, notification
    )
    other = Draft(uuid.uuid4().hex, morocco, UpdateKind.VISIT, "Mission to Tangier planned")
    await posting.post_update(bot.store.uow, Actor(people["contact"].user_id), other, now, notification)
    draft = NoticeDraft(uuid.uuid4().hex, "Meeting on Thursday", Audience(AudienceKind.EVERYONE), now)
    await notices.broadcast(bot.store.uow, Actor(admin.user_id), draft, now, recipient_message)
    bot.clock.current = now + dt.timedelta(days=1)
    regions, countries = await place_names(bot.store.uow)
    await digests.send_due(bot.store.uow, bot.clock.now(), DigestRenderer(regions, countries))
    await bot.deliver()
    assert len(bot.api.sent(chat_id=TELEGRAM_ID)) >= 4  # decision, notice, alert, digest
    await bot.send(SUBJECT, "/mydata")
    async with bot.store.uow() as uow:
        member = await uow.members.by_telegram_id(TELEGRAM_ID)
    assert member is not None
    return member.id


async def erase_from_members(bot: BotHarness, admin: Identity, member_id: int) -> list[str]:
    """/members → the member's card → erase → confirm; the texts the admin saw last."""
    await bot.send(admin, "/members")
    await tap(bot, admin, f"PT · {NAME} · contact")
    [ask] = bot.texts(await tap(bot, admin, "🗑 Erase personal data"))
    assert "This cannot be undone" in ask
    async with bot.store.uow() as uow:
        still = await uow.members.by_id(member_id)
    assert still is not None and still.display_name == NAME, "asking to confirm changes nothing"
    return bot.texts(await tap(bot, admin, "Yes, erase for good"))


async def traces(store: Store) -> list[str]:
    """Every table and column of the database (search indexes included) holding a trace of the subject."""
    if store.backend == "sqlite":
        listing = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        listing = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    found = []
    async with store.engine.connect() as connection:
        tables = list((await connection.execute(text(listing))).scalars())
        for table in tables:
            result = await connection.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608
            columns = list(result.keys())
            for row in result:
                for column, value in zip(columns, row, strict=True):
                    shown = _shown(value).lower()
                    found += [f"{table}.{column}: {t}" for t in TRACES if t in shown]
    return found


def _shown(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    return str(value)


async def test_an_erased_member_leaves_no_trace_and_their_updates_stay_with_their_delegation(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    member_id = await live_a_while(bot, people)
    before = await traces(bot.store)
    assert any(t.startswith("members.display_name") for t in before)
    assert any(t.startswith("access_requests.note") for t in before)
    assert any(t.startswith("outbox.payload") for t in before)

    [done] = await erase_from_members(bot, people["admin"], member_id)
    assert "Erased: the record now reads <b>member-" in done and "Status: erased (pseudonymised)" in done
    assert await traces(bot.store) == []

    async with bot.store.uow() as uow:
        erased = await uow.members.by_id(member_id)
        [entry] = await uow.audit.latest(1)
    assert erased is not None and erased.erased and erased.status is MemberStatus.REVOKED
    assert erased.display_name.startswith("member-") and erased.telegram_user_id == -member_id
    admin_id = await _member(bot, people["admin"].user_id)
    assert (entry.action, entry.subject, entry.actor_id) == ("member.erased", f"member {member_id}", admin_id)

    [shown] = bot.texts(await bot.send(people["contact"], "/initiative MP-MA-2013"))
    assert "Rabat talks moved on, amended" in shown and "PT" in shown
    [audit] = bot.texts(await bot.send(people["admin"], "/audit"))
    assert f"{erased.display_name} (PT)" in audit and NAME not in audit
    [stranger] = bot.texts(await bot.send(SUBJECT, "/start"))
    assert "closed to the working party's members" in stranger


async def test_an_erased_card_offers_nothing_and_refuses_every_change(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    contact = await _member(bot, people["contact"].user_id)
    await erase_from_members_by_id(bot, admin, contact)
    message = await screen(bot, admin)
    for pressed in (
        Reinstate(contact),
        ChangeRole(contact, Role.OBSERVER),
        AskMakeAdmin(contact),
        AskRevoke(contact),
        AskErase(contact),
    ):
        data = pressed.data
        [alert] = alerts(await bot.press(admin, message, data))
        assert "erased" in alert, data
    [card] = bot.texts(await bot.press(admin, message, ShowMember(contact).data))
    assert "erased (pseudonymised)" in card
    assert [c for c in bot.api.calls if c.method == "editMessageText"][-1].params.get("reply_markup") == {
        "inline_keyboard": [[{"text": "◀ Members", "callback_data": MembersPage(0).data}]]
    }


async def test_an_admin_cannot_erase_themselves_and_others_cannot_erase_at_all(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    admin_id = await _member(bot, people["admin"].user_id)
    message = await screen(bot, people["admin"])
    [alert] = alerts(await bot.press(people["admin"], message, Erase(admin_id).data))
    assert "cannot change your own" in alert
    contact_message = await screen(bot, people["contact"])
    [refused] = alerts(await bot.press(people["contact"], contact_message, Erase(admin_id).data))
    assert "not allowed" in refused
    assert not (await _load(bot, admin_id)).erased


async def test_a_revoked_member_can_be_erased_and_reinstating_is_then_refused(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    rolf = await _member(bot, people["revoked"].user_id)
    admin = people["admin"]
    await erase_from_members_by_id(bot, admin, rolf)
    message = await screen(bot, admin)
    [alert] = alerts(await bot.press(admin, message, Reinstate(rolf).data))
    assert "cannot be changed or reinstated" in alert
    assert (await _load(bot, rolf)).status is MemberStatus.REVOKED


async def erase_from_members_by_id(bot: BotHarness, admin: Identity, member_id: int) -> None:
    """Press the erase button, then confirm, by callback data."""
    message = await screen(bot, admin)
    await bot.press(admin, message, AskErase(member_id).data)
    [done] = bot.texts(await bot.press(admin, message, Erase(member_id).data))
    assert "Erased:" in done


async def screen(bot: BotHarness, who: Identity) -> dict[str, Any]:
    """A message the bot really sent into `who`'s chat, to carry pressed buttons (edits must land)."""
    [sent] = [c for c in await bot.send(who, "/help") if c.method == "sendMessage"]
    return {"message_id": sent.result["message_id"], "date": 0, "chat": who.chat, "text": "x"}


async def _member(bot: BotHarness, telegram_user_id: int) -> int:
    async with bot.store.uow() as uow:
        found = await uow.members.by_telegram_id(telegram_user_id)
    assert found is not None
    return found.id


async def _load(bot: BotHarness, member_id: int) -> Any:
    async with bot.store.uow() as uow:
        return await uow.members.by_id(member_id)


# --- the command line ----------------------------------------------------------------------------------


async def _setup_cli(url: str) -> tuple[int, int]:
    """A member and a guest with a pending access request; the member's id and the guest's Telegram id."""
    store = open_store(url)
    try:
        async with store.uow() as uow:
            member = await uow.members.add(
                telegram_user_id=TELEGRAM_ID,
                chat_id=TELEGRAM_ID,
                display_name=NAME,
                delegation_code="PT",
                role=Role.CONTACT,
                language="en",
                time_zone="Europe/Lisbon",
                now=bot_now(),
            )
            await uow.commit()
        await submit_access_request(
            store.uow, 4711, 4711, "Gina Guest", "LU", "hello", "en", bot_now(), admin_notice
        )
        return member.id, 4711
    finally:
        await store.dispose()


def bot_now() -> dt.datetime:
    """A fixed instant for rows made outside the bot."""
    return dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)


async def _store_traces(url: str) -> list[str]:
    store = open_store(url)
    try:
        return await traces(store)
    finally:
        await store.dispose()


def test_the_command_line_erases_after_a_typed_confirmation(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    member_id, guest = asyncio.run(_setup_cli(database_url))
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    assert main(["erase", "--member", str(member_id)]) == 1
    out = capsys.readouterr().out
    assert f"Member {member_id}: {NAME} (PT, contact, active), Telegram user {TELEGRAM_ID}." in out
    assert "It cannot be undone" in out and "Nothing was changed." in out
    monkeypatch.setattr("sys.stdin", io.StringIO("ERASE\n"))
    assert main(["erase", "--member", str(member_id)]) == 0
    assert f"Erased. Member {member_id} now read(s) 'member-" in capsys.readouterr().out
    assert asyncio.run(_store_traces(database_url)) == []
    assert main(["erase", "--member", str(member_id), "--yes"]) == 1
    assert "already erased" in capsys.readouterr().err

    assert main(["erase", "--telegram-id", str(guest), "--yes"]) == 0
    assert "The guest's access request(s) now read(s) 'guest-" in capsys.readouterr().out
    assert main(["erase", "--telegram-id", "5550001", "--yes"]) == 1
    assert "keeps nothing about this Telegram user" in capsys.readouterr().err
