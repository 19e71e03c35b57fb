"""Updates are handled concurrently across chats, in order within each chat and each user.

The running application (`bot.start()`: its update fetcher takes updates from the update queue, as long
polling and the webhook feed it) gets real updates put on its queue all at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from telegram import Update
from telegram.ext import TypeHandler

from bot.console.updates import Identity
from bot.domain.vocab import Role
from bot.update_order import ChatOrder
from handlers.context import BotContext
from handlers.settings import OtherZone
from storage.factory import Store
from tests.bot.flows import last_with_buttons
from tests.conftest import register
from tests.harness import BotHarness

HOLDING = -100  # a handler group before all of the application's
ZONES = ["Europe/Paris", "Europe/Rome", "Africa/Cairo", "Asia/Tokyo", "America/Lima", "Europe/Oslo"]


def delaying(slow: Callable[[Update], float]) -> TypeHandler[Update, BotContext]:
    """A handler before all others (group `HOLDING`) that holds each update for `slow(update)` seconds, as a
    slow network or store would: without ordering, an update sent later would overtake it."""

    async def hold(update: Update, _context: BotContext) -> None:
        await asyncio.sleep(slow(update))

    return TypeHandler(Update, hold)


async def queue_all(bot: BotHarness, updates: list[Update]) -> None:
    """Put every update on the running application's queue at once; wait until all were handled."""
    for update in updates:
        await bot.app.update_queue.put(update)
    await asyncio.wait_for(bot.app.update_queue.join(), timeout=60)


def test_the_application_orders_updates_by_chat_and_user(bot: BotHarness) -> None:
    processor = bot.app.update_processor
    assert isinstance(processor, ChatOrder)
    assert processor.max_concurrent_updates > 1


async def test_many_members_in_a_guided_flow_at_once_each_get_their_own_answer(
    bot: BotHarness, store: Store
) -> None:
    members = [
        await register(store, 500 + i, Role.CONTACT, "FR", f"Member {i}") for i in range(2 * len(ZONES))
    ]
    panels = {}
    for who in members:  # each opens /settings first: the panel whose button starts the typed-zone flow
        await bot.send(who, "/settings")
        panels[who.user["id"]] = last_with_buttons(bot, who.chat["id"])
    # Every button press is held 30 ms, the typed answer not at all: handled out of order, the answer
    # would arrive before its flow asked for it.
    bot.app.add_handler(delaying(lambda u: 0.03 if u.callback_query else 0.0), group=HOLDING)
    presses = [bot.updates.callback(w, panels[w.user["id"]], OtherZone().data) for w in members]
    answers = [bot.updates.message(w, ZONES[i % len(ZONES)]) for i, w in enumerate(members)]
    before = len(bot.api.calls)
    await queue_all(bot, [*presses, *answers])

    async with store.uow() as uow:
        for i, who in enumerate(members):
            member = await uow.members.by_telegram_id(who.user["id"])
            assert member is not None and member.time_zone == ZONES[i % len(ZONES)], who.user
    for who in members:
        sent = [
            str(c.params["text"])
            for c in bot.api.calls[before:]
            if c.params.get("chat_id") == who.chat["id"] and c.method in ("sendMessage", "editMessageText")
        ]
        assert len(sent) == 2, sent  # the question, then the panel with the zone typed
        assert "I work with commands" not in sent[1]


async def test_a_chats_updates_are_answered_in_the_order_they_came(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    contact, admin = people["contact"], people["admin"]
    # Earlier updates are held longer than later ones: handled concurrently without order, the replies
    # would come out reversed.
    commands = [f"/nothing{i}" for i in range(12)]
    delays = {text: 0.004 * (len(commands) - i) for i, text in enumerate(commands)}
    held = delaying(lambda u: delays.get(u.message.text or "", 0) if u.message else 0)
    bot.app.add_handler(held, group=HOLDING)
    updates = [bot.updates.message(contact, text) for text in commands]
    others = [bot.updates.message(admin, "/help") for _ in commands]
    before = len(bot.api.calls)
    await queue_all(bot, [u for pair in zip(updates, others, strict=True) for u in pair])

    replies = [
        str(c.params["text"])
        for c in bot.api.calls[before:]
        if c.method == "sendMessage" and c.params.get("chat_id") == contact.chat["id"]
    ]
    assert [next(cmd for cmd in commands if f"command {cmd}." in r) for r in replies] == commands


async def test_a_chat_waiting_on_a_slow_update_holds_up_no_other_chat(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    contact, admin = people["contact"], people["admin"]
    release = asyncio.Event()

    async def hold(update: Update, _context: BotContext) -> None:
        if update.effective_user is not None and update.effective_user.id == contact.user["id"]:
            await asyncio.wait_for(release.wait(), timeout=10)  # never hangs the test

    bot.app.add_handler(TypeHandler(Update, hold), group=HOLDING)
    before = len(bot.api.calls)
    for update in [
        bot.updates.message(contact, "/help"),
        bot.updates.message(contact, "/nothing"),
        bot.updates.message(admin, "/help"),
    ]:
        await bot.app.update_queue.put(update)

    def answered(who: Identity) -> list[str]:
        return [
            str(c.params["text"])
            for c in bot.api.calls[before:]
            if c.method == "sendMessage" and c.params.get("chat_id") == who.chat["id"]
        ]

    for _ in range(500):
        if answered(admin):
            break
        await asyncio.sleep(0.01)
    assert answered(admin), "the admin's /help waited behind another chat's update"
    assert answered(contact) == [], "the held chat was answered before its update was released"
    release.set()
    await asyncio.wait_for(bot.app.update_queue.join(), timeout=30)
    first, second = answered(contact)
    assert "/nothing" not in first and "/nothing" in second


@pytest.mark.parametrize("processor", [ChatOrder(4)])
async def test_updates_beyond_the_concurrency_limit_wait_and_keep_their_order(
    processor: ChatOrder,
) -> None:
    handled: list[tuple[int, int]] = []

    async def handle(chat: int, index: int) -> None:
        await asyncio.sleep(0.001 * (20 - index))
        handled.append((chat, index))

    def update(chat: int, index: int) -> Update:
        return Update.de_json(
            {
                "update_id": chat * 100 + index,
                "message": {
                    "message_id": index,
                    "date": 0,
                    "chat": {"id": chat, "type": "private"},
                    "from": {"id": chat, "is_bot": False, "first_name": "A"},
                    "text": "x",
                },
            },
            None,
        )

    async with processor:
        await asyncio.gather(
            *(
                processor.process_update(update(chat, index), handle(chat, index))
                for index in range(20)
                for chat in (1, 2, 3)
            )
        )
    for chat in (1, 2, 3):
        assert [i for c, i in handled if c == chat] == list(range(20))
    assert processor.waiting == 0
