"""Expensive requests spend the user's (and the group's) budget before anything else runs."""

from __future__ import annotations

import functools

from telegram import Update

from bot.domain.languages import bot_language
from bot.services.budgets import TooManyRequests
from handlers.context import BotContext
from handlers.respond import Callback, R, reply
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


def expensive(callback: Callback[R]) -> Callback[R | None]:
    """Run `callback` only within the budget of expensive requests."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: BotContext) -> R | None:
        if not await within_budget(update, context):
            return None
        return await callback(update, context)

    return wrapper
