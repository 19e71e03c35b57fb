"""What every guided flow shares: /cancel, the 30-minute timeout, and its scratch state."""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, TypeHandler
from telegram.warnings import PTBUserWarning

from handlers.context import BotContext
from handlers.respond import reply
from handlers.texts import t

END = ConversationHandler.END
TIMEOUT_SECONDS = 30 * 60


def scratch(context: BotContext, flow: str) -> dict[str, Any]:
    """The in-progress answers of one flow (the only thing kept in user_data)."""
    data = context.user_data
    assert data is not None
    return data.setdefault(f"flow:{flow}", {})  # type: ignore[no-any-return]


def clear(context: BotContext, flow: str) -> None:
    """Forget a flow's answers."""
    if context.user_data is not None:
        context.user_data.pop(f"flow:{flow}", None)


def guided(
    flow: str,
    entry_points: list[BaseHandler[Any, Any, Any]],
    states: dict[object, list[BaseHandler[Any, Any, Any]]],
) -> ConversationHandler[Any]:
    """A conversation with /cancel at every step and a timeout that says so."""

    async def cancel(update: Update, context: BotContext) -> int:
        """Leave the flow; nothing was saved."""
        clear(context, flow)
        viewer = await context.viewer(update)
        await reply(update, t(viewer.language, "cancel.done"))
        return END

    async def timed_out(update: Update, context: BotContext) -> None:
        """The flow was abandoned: say it ended."""
        clear(context, flow)
        viewer = await context.viewer(update)
        if update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, t(viewer.language, "flow.timed_out"))

    with warnings.catch_warnings():
        # Our flows mix typed answers and buttons, so they are tracked per chat and user, not per message.
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=entry_points,
            states={**states, ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)]},
            fallbacks=[CommandHandler("cancel", cancel)],
            conversation_timeout=TIMEOUT_SECONDS,
            allow_reentry=True,
            name=flow,
        )
