"""What every guided flow shares: /cancel, the 30-minute timeout, and its typed answers."""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict
from telegram import Update
from telegram.ext import (
    BaseHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.domain.errors import InvalidInput
from handlers.context import BotContext
from handlers.respond import reply
from handlers.texts import t

END = ConversationHandler.END
TIMEOUT_SECONDS = 30 * 60


class Draft(BaseModel):
    """The answers of a guided flow so far: one typed, immutable model per flow, kept as its state."""

    model_config = ConfigDict(frozen=True)


D = TypeVar("D", bound=Draft)


def draft(context: BotContext, kind: type[D]) -> D:
    """The flow's answers so far; InvalidInput('error.stale') when there are none (the flow ended, or a
    button of an earlier one was pressed)."""
    found = (context.user_data or {}).get(_key(kind))
    if not isinstance(found, kind):
        raise InvalidInput("error.stale")
    return found


def keep(context: BotContext, value: Draft) -> None:
    """Keep the flow's answers (a new value each step: drafts are immutable)."""
    assert context.user_data is not None
    context.user_data[_key(type(value))] = value


def drop(context: BotContext, kind: type[Draft]) -> None:
    """Forget the flow's answers."""
    if context.user_data is not None:
        context.user_data.pop(_key(kind), None)


def _key(kind: type[Draft]) -> str:
    return f"draft:{kind.__module__}.{kind.__qualname__}"


def guided(
    flow: str,
    entry_points: list[BaseHandler[Any, Any, Any]],
    states: dict[object, list[BaseHandler[Any, Any, Any]]],
    answers: type[Draft] | None = None,
) -> ConversationHandler[Any]:
    """A conversation with /cancel at every step and a timeout that says so; both forget its `answers`."""

    def forget(context: BotContext) -> None:
        if answers is not None:
            drop(context, answers)

    async def cancel(update: Update, context: BotContext) -> int:
        """Leave the flow; nothing was saved."""
        forget(context)
        viewer = await context.viewer(update)
        await reply(update, t(viewer.language, "cancel.done"))
        return END

    async def unexpected(update: Update, context: BotContext) -> None:
        """Text, a file or a sticker where the step wants something else: say what it wants, stay."""
        viewer = await context.viewer(update)
        await reply(update, t(viewer.language, "flow.unexpected"))

    async def timed_out(update: Update, context: BotContext) -> None:
        """The flow was abandoned: say it ended."""
        forget(context)
        viewer = await context.viewer(update)
        if update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, t(viewer.language, "flow.timed_out"))

    with warnings.catch_warnings():
        # Our flows mix typed answers and buttons, so they are tracked per chat and user, not per message.
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=entry_points,
            states={**states, ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)]},
            fallbacks=[
                CommandHandler("cancel", cancel),
                MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, unexpected),
            ],
            conversation_timeout=TIMEOUT_SECONDS,
            allow_reentry=True,
            name=flow,
            persistent=True,  # the step survives a restart (the application's persistence is the store)
        )
