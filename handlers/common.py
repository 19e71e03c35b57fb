"""/start, /help, /cancel, and the answers to anything else: every role, every chat."""

from __future__ import annotations

import html
import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.domain.access import commands_for
from bot.domain.model import Viewer
from handlers.context import BotContext
from handlers.menu import available_commands
from handlers.respond import reply
from handlers.texts import t

log = logging.getLogger(__name__)
BOT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,29}[Bb][Oo][Tt]")  # Telegram's rule for bot usernames


async def help_command(update: Update, context: BotContext) -> None:
    """List the commands this user's role may use, and nothing else."""
    viewer = await context.viewer(update)
    await reply(update, help_text(viewer))


def help_text(viewer: Viewer) -> str:
    """The help for this viewer: only the commands their role may use."""
    lang = viewer.language
    if viewer.in_group:
        return t(lang, "help.group")
    lines = [t(lang, "help.header")]
    for command in available_commands(commands_for(viewer.role)):
        lines.append(f"/{command} — {html.escape(t(lang, f'command.{command}'))}")
    lines += ["", t(lang, "help.footer" if viewer.role else "help.guest_footer")]
    return "\n".join(lines)


async def cancel(update: Update, context: BotContext) -> None:
    """Outside a guided flow there is nothing to cancel; say so."""
    viewer = await context.viewer(update)
    await reply(update, t(viewer.language, "cancel.nothing"))


async def private_only(update: Update, context: BotContext) -> None:
    """A member or admin command sent in a group: refused there, welcome in a private chat."""
    viewer = await context.viewer(update)
    await reply(update, t(viewer.language, "group.private_only"), write_privately(context, viewer.language))


def write_privately(context: BotContext, language: str) -> InlineKeyboardMarkup | None:
    """A button that opens the private chat with the bot."""
    if not context.bot.username:
        return None
    url = f"https://t.me/{context.bot.username}"
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(language, "group.open_private"), url=url)]])


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command we do not have (or that is addressed to another bot in a group)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    word = message.text.split(maxsplit=1)[0]
    command, _, addressee = word.partition("@")
    private = update.effective_chat is not None and update.effective_chat.type == "private"
    if not private:
        return  # in a group, a command we do not have is silence: no noise for everyone
    viewer = await context.viewer(update)
    if BOT_NAME.fullmatch(addressee) and addressee.lower() != (context.bot.username or "").lower():
        text = t(viewer.language, "unknown.other_bot", command=command[:64], addressee=addressee)
    else:
        text = t(viewer.language, "unknown.command", command=command[:64])
    await reply(update, text)


async def free_text(update: Update, context: BotContext) -> None:
    """Text that is not a command, in a private chat: point to /help or /start."""
    viewer = await context.viewer(update)
    await reply(update, t(viewer.language, "unknown.text" if viewer.role else "unknown.text_guest"))


async def stale_button(update: Update, context: BotContext) -> None:
    """A button no handler claims (old message, forged data): say so, change nothing."""
    query = update.callback_query
    if query is None:
        return
    viewer = await context.viewer(update)
    await query.answer(t(viewer.language, "button.stale"), show_alert=True)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with its traceback; tell the user briefly, never show the traceback."""
    log.error("handler failed on update %s", getattr(update, "update_id", "?"), exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    language = update.effective_user.language_code if update.effective_user else None
    text = t(language or "en", "error.generic")
    try:
        if update.callback_query is not None:  # stop the button's spinner too
            await update.callback_query.answer(text[:200], show_alert=True)
        await context.bot.send_message(update.effective_chat.id, text)
    except Exception:  # the user may have blocked us, or Telegram is down: nothing more to do
        log.warning("could not tell chat %s about the failure", update.effective_chat.id)
