"""The read rules at the moment a message leaves, and corrections that really correct, as members see them.

Each test queues something, changes the world before the sender's turn (or after delivery), then lets
the real sender run: what arrives, what is held back and why, what is edited or deleted in the chats.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.console.botapi import ApiCall
from bot.console.updates import Identity
from bot.domain.digests import Frequency, Scope
from bot.domain.notices import Audience, AudienceKind, NoticeDraft
from bot.domain.rate import Limits
from bot.domain.vocab import MemberStatus, Role, Tlp
from bot.services import digests, members, notices
from bot.services.actors import Actor
from engines.sender import SenderConfig
from handlers.buttons import OpenFromList
from handlers.filter_codes import EVERYTHING
from handlers.jobs import send_digests
from handlers.notice_render import recipient_message
from storage.factory import Store
from tests.bot.flows import buttons, last_with_buttons, tap
from tests.bot.test_broadcast import Gate, background_sender, until
from tests.bot.test_posting import (
    CONFIRM,
    REF,
    member_id,
    open_from_initiative,
    posted_id,
    to_preview,
)
from tests.bot.test_posting import (
    notices as alerts_to,
)
from tests.conftest import NOW, register
from tests.harness import BotHarness
from tests.storage.test_exchange import run_cli

MOROCCO_MP = 5  # the seeded id of MP-MA-2013


async def quietly(bot: BotHarness, who: Identity, label: str) -> list[ApiCall]:
    """Press a button without letting the sender run afterwards: what it queues stays queued."""
    bot.autodeliver = False
    try:
        return await tap(bot, who, label)
    finally:
        bot.autodeliver = True


async def follow(bot: BotHarness, *who: Identity) -> None:
    """Each follows the Morocco partnership from its page."""
    for person in who:
        await bot.send(person, f"/initiative {REF}")
        await tap(bot, person, "🔔 Follow")


async def post_queued(bot: BotHarness, who: Identity, text: str, tlp: Tlp) -> int:
    """Post through the flow; its alerts (and whatever else was queued) stay queued, not yet sent."""
    bot.autodeliver = False
    try:
        await to_preview(bot, who, text, tlp)
        return posted_id(bot, await tap(bot, who, CONFIRM))
    finally:
        bot.autodeliver = True


def told(bot: BotHarness, who: Identity) -> list[ApiCall]:
    """The alerts a member received so far."""
    return alerts_to(bot.api.calls, who.user_id)


async def engine(bot: BotHarness, admin: Identity) -> str:
    """The delivery engine's state as /notices shows it."""
    [text] = bot.texts(await bot.send(admin, "/notices"))
    return text


async def test_an_update_withdrawn_before_its_alerts_went_out_reaches_nobody(
    bot: BotHarness, store: Store, people: dict[str, Identity], database_url: str, tmp_path: Path
) -> None:
    contact, admin = people["contact"], people["admin"]
    reader = await register(store, 201, Role.CONTACT, "DE", "Dora")
    await follow(bot, reader, admin)
    await post_queued(bot, contact, "Returns paused", Tlp.AMBER)
    assert not told(bot, reader) and not told(bot, admin)
    bot.autodeliver = False
    await open_from_initiative(bot, contact)
    await tap(bot, contact, "🗑 Withdraw")
    [done] = bot.texts(await tap(bot, contact, "Yes, withdraw"))
    bot.autodeliver = True
    assert done == (
        "🗑 Withdrawn: nobody can read it any more. Removed from 0 chats; 2 alerts not yet sent will not be."
    )
    await bot.deliver()
    assert not told(bot, reader) and not told(bot, admin)
    assert "Held back by the read rules when their turn came: withdrawn 2" in await engine(bot, admin)
    status = run_cli(database_url, tmp_path, "outbox", "status")
    assert "Held back by the read rules when their turn came: withdrawn 2" in status.stdout, status.stderr


async def test_withdrawing_deletes_the_delivered_alerts_it_still_may(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact, admin = people["contact"], people["admin"]
    reader = await register(store, 201, Role.CONTACT, "DE", "Dora")
    await follow(bot, reader, admin)
    await to_preview(bot, contact, "Visit on Friday", Tlp.GREEN, attachment="agenda.pdf")
    await tap(bot, contact, CONFIRM)
    copies = {who.user_id: set(bot.api.chat(who.user_id).messages) for who in (reader, admin)}
    [alert] = told(bot, reader)
    ids = {int(alert.result["message_id"]), int(alert.result["message_id"]) + 1}  # the text, then the file
    assert ids <= copies[reader.user_id]
    await open_from_initiative(bot, contact)
    await tap(bot, contact, "🗑 Withdraw")
    [done] = bot.texts([c for c in await tap(bot, contact, "Yes, withdraw") if c.method != "deleteMessages"])
    assert "Removed from 2 chats; 0 alerts not yet sent will not be." in done
    deleted = {int(c.params["chat_id"]): set(c.params["message_ids"]) for c in bot.api.sent("deleteMessages")}
    assert deleted[reader.user_id] == ids
    assert not ids & set(bot.api.chat(reader.user_id).messages), "the alert and its file are gone"
    assert admin.user_id in deleted


async def test_copies_older_than_telegram_lets_the_bot_delete_are_counted(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    reader = await register(store, 201, Role.CONTACT, "DE", "Dora")
    await follow(bot, reader)
    await to_preview(bot, contact, "Late correction", Tlp.GREEN)
    await tap(bot, contact, CONFIRM)
    bot.clock.current = NOW + dt.timedelta(hours=47, minutes=30)  # still within the 48 hours to withdraw
    await open_from_initiative(bot, contact)
    await tap(bot, contact, "🗑 Withdraw")
    [done] = bot.texts(await tap(bot, contact, "Yes, withdraw"))
    assert "Removed from 0 chats" in done
    assert "1 copy older than 48 hours could not be removed" in done
    assert not bot.api.sent("deleteMessages")


async def test_a_stricter_label_removes_the_copies_its_readers_may_no_longer_read(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact, observer = people["contact"], people["observer"]
    reader = await register(store, 201, Role.CONTACT, "DE", "Dora")
    await follow(bot, reader, observer)
    await to_preview(bot, contact, "Figures attached", Tlp.GREEN)
    await tap(bot, contact, CONFIRM)
    [first] = told(bot, reader)
    [seen] = told(bot, observer)
    assert not first.params.get("protect_content")
    await open_from_initiative(bot, contact)
    assert "Chats it no longer reaches lose their copies" in bot.texts(await tap(bot, contact, "🏷 Label"))[0]
    calls = await tap(bot, contact, "TLP:AMBER")
    [done] = bot.texts([c for c in calls if c.params.get("chat_id") == contact.user_id])
    assert done == "🏷 Now TLP:AMBER. Alerts corrected in 1 chat, removed from 1."
    # The observer may no longer read it: their copy is deleted, and nothing new comes.
    [gone] = [c for c in calls if c.method == "deleteMessages" and c.params["chat_id"] == observer.user_id]
    assert gone.params["message_ids"] == [seen.result["message_id"]]
    assert seen.result["message_id"] not in bot.api.chat(observer.user_id).messages
    assert len(told(bot, observer)) == 1
    # The DE contact still may: the unprotected copy is replaced by a protected one, labelled AMBER.
    assert any(c.method == "deleteMessages" and c.params["chat_id"] == reader.user_id for c in calls)
    [again] = alerts_to(calls, reader.user_id)
    assert again.params["protect_content"] is True
    assert "<b>[TLP:AMBER]</b>" in again.params["text"]
    # A later edit corrects the copy that is there now, not the one already deleted.
    await open_from_initiative(bot, contact)
    await tap(bot, contact, "✏️ Edit")
    calls = await bot.send(contact, "Figures attached, corrected")
    [edited] = [c for c in calls if c.method == "editMessageText" and c.params["chat_id"] == reader.user_id]
    assert edited.params["message_id"] == again.result["message_id"]
    assert "corrected" in edited.params["text"]
    assert not [c for c in calls if c.params.get("chat_id") == observer.user_id]
    assert "Failed: 0" in await engine(bot, people["admin"])


async def test_a_member_demoted_or_moved_before_the_send_gets_nothing_they_may_no_longer_read(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact, admin = people["contact"], people["admin"]
    demoted = await register(store, 201, Role.CONTACT, "DE", "Dora")
    moved = await register(store, 202, Role.CONTACT, "FR", "Fanny")
    await follow(bot, demoted, moved)
    bot.autodeliver = False
    await post_queued(bot, contact, "Strictly ours", Tlp.AMBER_STRICT)
    await post_queued(bot, contact, "Amber for contacts", Tlp.AMBER)
    assert not told(bot, demoted) and not told(bot, moved)
    await members.change_role(
        store.uow, Actor(admin.user_id), await member_id(store, demoted), Role.OBSERVER, NOW
    )
    await members.move(store.uow, Actor(admin.user_id), await member_id(store, moved), "DE", NOW)
    await bot.deliver()
    assert not told(bot, demoted), "an observer reads neither AMBER nor AMBER+STRICT"
    [amber] = told(bot, moved)  # now in DE: AMBER yes, FR's AMBER+STRICT no
    assert "Amber for contacts" in amber.params["text"]
    state = await engine(bot, admin)
    assert "no longer readable by the recipient 2" in state  # DE never was a reader of FR's STRICT one


async def test_a_scheduled_notice_goes_to_its_audience_as_it_is_at_send_time(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin, contact = people["admin"], people["contact"]
    second = await register(store, 201, Role.ADMIN, "COM", "Carla")
    draft = NoticeDraft(
        "k1", "Admins only: agenda", Audience(AudienceKind.ROLE, ("admin",)), NOW + dt.timedelta(hours=1)
    )
    await notices.broadcast(store.uow, Actor(admin.user_id), draft, NOW, recipient_message)
    await members.change_role(
        store.uow, Actor(admin.user_id), await member_id(store, second), Role.CONTACT, NOW
    )
    await members.change_role(
        store.uow, Actor(admin.user_id), await member_id(store, contact), Role.ADMIN, NOW
    )
    bot.clock.current = NOW + dt.timedelta(hours=1)
    await bot.deliver()
    got = {int(c.params["chat_id"]) for c in bot.api.sent("sendMessage") if "Admins only" in c.params["text"]}
    assert got == {admin.user_id, contact.user_id}
    assert "Recipients 2 · sent 2 · pending 0" in await engine(bot, admin)


async def test_a_notice_recipient_moved_out_of_its_audience_is_held_back_and_counted(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin, contact = people["admin"], people["contact"]
    other = await register(store, 201, Role.CONTACT, "FR", "Fanny")
    draft = NoticeDraft("k2", "For France", Audience(AudienceKind.DELEGATIONS, ("FR",)), NOW)
    await notices.broadcast(store.uow, Actor(admin.user_id), draft, NOW, recipient_message)
    await members.move(store.uow, Actor(admin.user_id), await member_id(store, other), "DE", NOW)
    await bot.deliver()
    got = {int(c.params["chat_id"]) for c in bot.api.sent("sendMessage") if "For France" in c.params["text"]}
    assert got == {contact.user_id}
    listing = await engine(bot, admin)
    assert (
        "Recipients 2 · sent 1 · pending 0 · failed 0 · unreachable 0 · stopped 0 · cancelled 0 · held back 1"
        in listing
    )
    assert "Held back when their turn came: no longer in the audience 1" in listing


async def test_a_queued_digest_is_composed_again_without_what_was_withdrawn(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    reader = await register(store, 201, Role.CONTACT, "DE", "Dora")
    kept = await post_queued(bot, contact, "Kept for the digest", Tlp.GREEN)
    gone = await post_queued(bot, contact, "Withdrawn after queuing", Tlp.AMBER)
    await bot.deliver()
    actor = Actor(reader.user_id)
    await digests.subscribe(store.uow, actor, Scope(), Frequency.DAILY, 0, dt.time(8), False, NOW)
    bot.clock.current = dt.datetime(2026, 11, 28, 7, 0, tzinfo=dt.UTC)  # 08:00 in Brussels
    await send_digests(bot.app.bot_data["deps"])
    bot.autodeliver = False
    await open_from_initiative(bot, contact)  # the newest first: the AMBER one
    await tap(bot, contact, "🗑 Withdraw")
    await tap(bot, contact, "Yes, withdraw")
    assert not [c for c in bot.api.sent("sendMessage", reader.user_id) if "EMWP digest" in c.params["text"]]
    await bot.deliver()
    [digest] = [c for c in bot.api.sent("sendMessage", reader.user_id) if "EMWP digest" in c.params["text"]]
    assert "Kept for the digest" in digest.params["text"]
    assert "Withdrawn after queuing" not in digest.params["text"]
    assert not digest.params.get("protect_content"), "nothing AMBER is left in it"
    assert kept != gone


async def test_every_view_of_amber_content_is_protected(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    reader = await register(store, 201, Role.CONTACT, "DE", "Dora")
    await post_queued(bot, contact, "Quokkafeld amber", Tlp.AMBER)
    await bot.deliver()
    bot.clock.current = NOW + dt.timedelta(minutes=1)  # the digest of the last 7 days includes it
    for command in (f"/initiative {REF}", "/search Quokkafeld", "/country MA", "/digest"):
        calls = [c for c in await bot.send(reader, command) if c.method == "sendMessage"]
        assert calls and all(c.params.get("protect_content") is True for c in calls), command
    # The ✉ view edits the initiative's message, itself protected: the protection stays with it.
    opened = await open_from_initiative(bot, reader)
    [view] = [c for c in opened if c.method == "editMessageText"]
    assert bot.api.chat(reader.user_id).messages[view.params["message_id"]]["has_protected_content"]
    # A list without AMBER content is not protected; opening an initiative from it sends a new message.
    await bot.send(reader, "/initiatives")
    listing = last_with_buttons(bot, reader.user_id)
    assert not listing.get("has_protected_content")
    data = OpenFromList(MOROCCO_MP, 0, EVERYTHING).data
    assert data in buttons(listing).values()
    pressed = await bot.press(reader, listing, data)
    [shown] = [c for c in pressed if c.method in ("sendMessage", "editMessageText")]
    assert shown.method == "sendMessage" and shown.params["protect_content"] is True


async def test_an_observer_in_a_member_states_delegation_never_reads_its_strict_updates(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    observer = await register(store, 201, Role.OBSERVER, "FR", "Odile")
    await post_queued(bot, contact, "Kestrelfeld strict", Tlp.AMBER_STRICT)
    await bot.deliver()
    for command in (f"/initiative {REF}", "/search Kestrelfeld", "/country MA"):
        assert "strict" not in " ".join(bot.texts(await bot.send(observer, command))), command
    assert "strict" in " ".join(bot.texts(await bot.send(contact, "/search Kestrelfeld")))


async def test_list_order_moves_only_for_those_who_may_read_what_was_posted(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact, observer = people["contact"], people["observer"]
    bot.clock.current = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)  # after the seed's own activity

    async def first_line(who: Identity) -> str:
        [text] = bot.texts(await bot.send(who, "/initiatives"))
        return next(line for line in text.splitlines() if line.startswith("1. "))

    before = await first_line(observer)
    assert REF not in before
    await post_queued(bot, contact, "Only for contacts", Tlp.AMBER)
    await bot.deliver()
    assert REF in await first_line(contact), "a reader of AMBER sees the initiative's new activity"
    assert await first_line(observer) == before, "an observer learns nothing from the order"


async def test_an_admin_withdraws_a_notice_from_every_chat(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    draft = NoticeDraft("k3", "Wrong room", Audience(AudienceKind.EVERYONE), NOW)
    await notices.broadcast(store.uow, Actor(admin.user_id), draft, NOW, recipient_message)
    await bot.deliver()
    chats = {
        int(c.params["chat_id"]) for c in bot.api.sent("sendMessage") if "Wrong room" in c.params["text"]
    }
    assert len(chats) == 3
    await bot.send(admin, "/notices")
    confirm = bot.texts(await tap(bot, admin, "🗑 Withdraw #1"))[0]
    assert "Withdraw notice #1?" in confirm
    calls = await tap(bot, admin, "Yes, withdraw")
    [done] = bot.texts([c for c in calls if c.params.get("chat_id") == admin.user_id])
    assert done == "🗑 Notice #1 withdrawn. Removed from 3 chats; 0 not yet sent will not be."
    assert {int(c.params["chat_id"]) for c in bot.api.sent("deleteMessages")} == chats
    assert "#1 · <b>withdrawn</b>" in await engine(bot, admin)


async def test_a_change_after_the_sender_claimed_a_batch_is_caught_at_the_send(
    bot: BotHarness, store: Store, people: dict[str, Identity], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch is checked when claimed; a member revoked while it waits is caught right before their
    send (the read epoch moved, so that row is checked again)."""
    admin = people["admin"]
    for i in range(20):
        await register(store, 3000 + i, Role.CONTACT, "IT", f"Member {i:02d}")
    draft = NoticeDraft("k4", "Agenda out", Audience(AudienceKind.EVERYONE), NOW)
    await notices.broadcast(store.uow, Actor(admin.user_id), draft, NOW, recipient_message)
    gate = Gate(bot, monkeypatch, allowed=3)
    config = SenderConfig(limits=Limits().scaled(1000), workers=1)  # one worker: recipients in order
    running = asyncio.create_task(background_sender(bot, config).drain())
    try:
        await until(gate.holding.is_set, "the 4th send to be in flight")
        last = await member_id(store, Identity(3019, "Member 19"))
        await members.set_status(store.uow, Actor(admin.user_id), last, MemberStatus.REVOKED, NOW)
    finally:
        gate.open()
        await asyncio.wait_for(running, 10)
    got = {int(c.params["chat_id"]) for c in bot.api.sent("sendMessage") if "Agenda out" in c.params["text"]}
    assert 3019 not in got and len(got) == 22
    assert "held back 1" in await engine(bot, admin)
