"""Helpers for driving guided flows in tests: find buttons, press them by label."""

from __future__ import annotations

import re
from typing import Any

from bot.console.botapi import ApiCall
from bot.console.updates import Identity
from handlers.buttons import JoinWithInvite
from tests.harness import BotHarness


def last_with_buttons(bot: BotHarness, chat_id: int) -> dict[str, Any]:
    """The newest message in a chat that carries inline buttons (as the fake server holds it now)."""
    messages = [m for m in bot.api.chat(chat_id).messages.values() if m.get("reply_markup")]
    assert messages, f"no message with buttons in chat {chat_id}"
    return messages[-1]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """Button label → callback data."""
    rows = message["reply_markup"]["inline_keyboard"]
    return {b["text"]: b.get("callback_data", "") for row in rows for b in row}


async def tap(bot: BotHarness, who: Identity, label: str, chat_id: int | None = None) -> list[ApiCall]:
    """Press the button labelled `label` on the newest message with buttons in `who`'s chat."""
    message = last_with_buttons(bot, chat_id if chat_id is not None else int(who.chat["id"]))
    data = buttons(message).get(label)
    assert data, f"no button {label!r} in {list(buttons(message))}"
    return await bot.press(who, message, data)


def alerts(calls: list[ApiCall]) -> list[str]:
    """The texts of answered callback queries that carried one."""
    return [
        str(c.params["text"]) for c in calls if c.method == "answerCallbackQuery" and c.params.get("text")
    ]


async def past_privacy_notice(bot: BotHarness, who: Identity, calls: list[ApiCall]) -> list[ApiCall]:
    """If these calls showed the privacy notice of an invitation, press its join button and return the
    calls of that press; otherwise return the calls as they are (the invitation was refused at once)."""
    for call in reversed(calls):
        rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
        joining = [
            b["callback_data"]
            for row in rows
            for b in row
            if re.match(JoinWithInvite.pattern, b.get("callback_data", ""))
        ]
        if call.method == "sendMessage" and joining:
            message = {"message_id": call.result["message_id"], "date": 0, "chat": who.chat, "text": "notice"}
            return await bot.press(who, message, joining[0])
    return calls


async def open_invitation(bot: BotHarness, who: Identity, token: str) -> list[ApiCall]:
    """Open an invitation link as a person does: /start with the token, then continue past the notice."""
    return await past_privacy_notice(bot, who, await bot.send(who, f"/start {token}"))


async def request_access(
    bot: BotHarness, guest: Identity, name: str, code: str, note: str | None
) -> list[str]:
    """Walk the access-request flow (past the privacy notice); return what the guest saw last."""
    await bot.send(guest, "/start")
    await tap(bot, guest, "Request access")
    await tap(bot, guest, "✅ Continue")
    await bot.send(guest, name)
    await tap(bot, guest, code)
    calls = await (bot.send(guest, note) if note is not None else tap(bot, guest, "Skip the note"))
    return bot.texts(calls)
