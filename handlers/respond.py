"""How handlers answer: HTML replies, edits for button presses, and refusals as short texts."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.domain.errors import DomainError
from bot.domain.splitting import split_html
from bot.services.actors import Actor
from handlers.context import BotContext
from handlers.texts import t

log = logging.getLogger(__name__)
R = TypeVar("R")
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, R]]


def actor_of(update: Update) -> Actor:
    """The acting Telegram user, and the group they act in, if any."""
    user = update.effective_user
    chat = update.effective_chat
    in_group = chat is not None and chat.type != "private"
    return Actor(user.id if user else 0, in_group=in_group, group_id=chat.id if chat and in_group else None)


async def reply(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None, *, protect: bool = False
) -> None:
    """Answer in the chat of the update, as HTML; `protect` (AMBER or stricter content) forbids
    forwarding and saving."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            disable_web_page_preview=True,
            protect_content=protect or None,
        )


async def show(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None, *, protect: bool = False
) -> None:
    """Edit the message whose button was pressed, or reply to a typed command. Telegram cannot add
    protection by editing: a view that must be protected comes as a new message unless the pressed
    one already is."""
    query = update.callback_query
    if query is None:
        await reply(update, text, markup, protect=protect)
        return
    await query.answer()
    if protect and not getattr(query.message, "has_protected_content", False):
        await reply(update, text, markup, protect=True)
        return
    try:
        await query.edit_message_text(
            text, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def show_long(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None, *, protect: bool = False
) -> None:
    """Like `show`, for text that may exceed one message: split on lines, the buttons on the last part."""
    parts = split_html(text)
    await show(update, parts[0], markup if len(parts) == 1 else None, protect=protect)
    for index, part in enumerate(parts[1:], start=2):
        await reply(update, part, markup if index == len(parts) else None, protect=protect)


async def refuse(update: Update, context: BotContext, error: DomainError) -> None:
    """Say why not: an alert for a button, a message for a command. Nothing was changed."""
    viewer = await context.viewer(update)
    text = t(viewer.language, error.message_id, **error.values)
    if update.callback_query is not None:
        await update.callback_query.answer(text[:200], show_alert=True)
    else:
        await reply(update, text)


def guarded(callback: Callback[R]) -> Callback[R | None]:
    """Turn the refusals of the service layer into answers; anything else is a real failure."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: BotContext) -> R | None:
        try:
            return await callback(update, context)
        except DomainError as error:
            await refuse(update, context, error)
            return None

    return wrapper
