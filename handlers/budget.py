"""Expensive requests: they spend the user's (and the group's) budget before anything else runs, then run
in their own lane, one at a time, beside the stream of all other updates."""

from __future__ import annotations

import functools
from typing import Any

from telegram import Update

from bot.domain.languages import bot_language
from bot.services.budgets import TooManyRequests
from handlers.context import BotContext
from handlers.respond import Callback, reply
from handlers.texts import t


async def within_budget(update: Update, context: BotContext) -> bool:
    """Spend one expensive request; over budget, answer briefly (once per streak) and return False.

    It runs before the store is asked anything: a flood costs a dictionary lookup per update.
    """
    user, chat = update.effective_user, update.effective_chat
    group_id = chat.id if chat is not None and chat.type != "private" else None
    try:
        context.deps.budgets.spend(user.id if user else 0, group_id, context.deps.clock.now())
    except TooManyRequests as refused:
        text = t(bot_language(user.language_code if user else None), refused.message_id, **refused.values)
        if update.callback_query is not None:
            await update.callback_query.answer(text)
        elif refused.tell:
            await reply(update, text)
        return False
    return True


def expensive(callback: Callback[Any]) -> Callback[None]:
    """Within the budget of expensive requests, run `callback` in the lane; not for a flow's step (the lane
    returns no state)."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: BotContext) -> None:
        if await within_budget(update, context):
            await context.deps.lane.run(update, context, callback)

    return wrapper
