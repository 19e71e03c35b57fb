"""/privacy: the privacy statement, for everyone in every chat; and the notice shown before joining.

Before an invitation or an access request is accepted, the guest sees a short notice with two buttons:
read the whole statement, and continue. Telegram apps also send /privacy when a user opens the bot's
privacy policy and BotFather has no policy URL for it: /privacy is therefore in every command menu.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain import invites as tokens
from bot.domain.errors import InvalidInput
from bot.domain.privacy import statement_problem
from bot.domain.splitting import LIMIT, split_html
from handlers.buttons import ContinueRequest, JoinWithInvite
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.keyboards import button, keyboard
from handlers.respond import guarded, reply
from handlers.texts import t

REQUEST = "req"  # the notice of the access-request flow; any other target is an invitation's token


@dataclass(frozen=True)
class ReadPrivacy(CallbackData, prefix="prv:read"):
    """The notice's 'read the statement': `target` is REQUEST or the invitation's token."""

    target: str


def continue_button(language: str, target: str) -> InlineKeyboardButton:
    """What accepting does: go on with the access request, or join with the invitation's token."""
    if target == REQUEST:
        return button(t(language, "privacy.continue"), ContinueRequest())
    return button(t(language, "privacy.join"), JoinWithInvite(target))


def notice(language: str, target: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The notice before joining: what the bot keeps, a button to read the statement, one to continue."""
    return t(language, "privacy.notice"), keyboard(
        [button(t(language, "privacy.read"), ReadPrivacy(target))], [continue_button(language, target)]
    )


def statement_parts(statement: str) -> list[str]:
    """Messages under Telegram's limit, cut between paragraphs where that keeps every message's tags
    whole (else on line boundaries, closing and reopening the tags, as every long message is)."""
    parts: list[str] = []
    for block in statement.split("\n\n"):
        if parts and len(parts[-1]) + 2 + len(block) <= LIMIT:
            parts[-1] += "\n\n" + block
        else:
            parts.append(block)
    if any(len(part) > LIMIT or statement_problem(part) for part in parts):
        return split_html(statement)
    return parts


async def send_statement(update: Update, context: BotContext, language: str) -> None:
    """The whole statement, in as few messages as Telegram's limit allows."""
    for part in statement_parts(context.deps.privacy[language]):
        await reply(update, part)


async def privacy_command(update: Update, context: BotContext) -> None:
    """Show the privacy statement: guests, members and groups alike."""
    viewer = await context.viewer(update)
    await send_statement(update, context, viewer.language)


@guarded
async def read_button(update: Update, context: BotContext) -> None:
    """From the notice: the statement, then the continue button again under it."""
    target = ReadPrivacy.read(update).target
    query = update.callback_query
    assert query is not None
    if target != REQUEST and not tokens.well_formed(target):
        raise InvalidInput("error.stale")
    await query.answer()
    viewer = await context.viewer(update)
    await send_statement(update, context, viewer.language)
    await reply(
        update, t(viewer.language, "privacy.then"), keyboard([continue_button(viewer.language, target)])
    )


def handlers() -> list[object]:
    """/privacy and the notice's read button (the join button is /start's)."""
    return [
        CommandHandler("privacy", privacy_command),
        CallbackQueryHandler(read_button, pattern=ReadPrivacy.pattern),
    ]
