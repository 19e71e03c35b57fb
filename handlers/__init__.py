"""Telegram adapters: `register(app)` is the one ordered list of handlers."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import (
    access_request,
    audit,
    broadcast,
    chat_member,
    common,
    country,
    curation,
    following,
    groups,
    initiatives,
    invites,
    member_move,
    members,
    mydata,
    notices,
    posting,
    privacy,
    search,
    settings,
    start,
    subscribe,
    subscriptions,
    upcoming,
    update_view,
)
from handlers.menu import PRIVATE_ONLY_COMMANDS


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add every handler in the order that matters: flows and commands first, fallbacks last."""
    # Before everything, in its own handler group: a group no admin registered gets nothing at all.
    app.add_handler(TypeHandler(Update, groups.closed_door), group=-1)
    ordered: list[Any] = [
        *groups.handlers(),  # a group's move to a supergroup, before anything reads its messages
        CommandHandler("start", start.start),
        CommandHandler("help", common.help_command),
        *privacy.handlers(),
        *start.handlers(),
        *mydata.handlers(),
        # Guided flows come before the plain /cancel and the free-text fallback, which they must see first.
        *access_request.handlers(),
        *invites.handlers(),
        *settings.handlers(),
        *members.handlers(),
        *member_move.handlers(),
        *audit.handlers(),
        *broadcast.handlers(),
        *notices.handlers(),
        *posting.handlers(),
        *subscribe.handlers(),
        *subscriptions.handlers(),
        *update_view.handlers(),
        *following.handlers(),
        *curation.handlers(),
        *initiatives.handlers(),
        *country.handlers(),
        *search.handlers(),
        *upcoming.handlers(),
        *chat_member.handlers(),
        CommandHandler("cancel", common.cancel),
        # In a group, member and admin commands are refused: the group sees TLP:CLEAR and no member data.
        CommandHandler(list(PRIVATE_ONLY_COMMANDS), common.private_only, filters=filters.ChatType.GROUPS),
        # Fallbacks: anything no handler above took. Commands before text; text only in private chats,
        # so the bot never chatters in the working party's group.
        MessageHandler(filters.COMMAND, common.unknown_command),
        MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, common.free_text),
        CallbackQueryHandler(common.stale_button),
    ]
    for handler in ordered:
        assert isinstance(handler, BaseHandler)
        app.add_handler(handler)
    app.add_error_handler(common.on_error)
