"""Telegram adapters: `register(app)` is the one ordered list of handlers."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import common


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add every handler in the order that matters: commands first, fallbacks last."""
    app.add_handler(CommandHandler("start", common.start))
    app.add_handler(CommandHandler("help", common.help_command))
    app.add_handler(CommandHandler("cancel", common.cancel))
    # Fallbacks: anything no handler above took. Commands before text; text only in private chats,
    # so the bot never chatters in the working party's group.
    app.add_handler(MessageHandler(filters.COMMAND, common.unknown_command))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, common.free_text))
    app.add_handler(CallbackQueryHandler(common.stale_button))
    app.add_error_handler(common.on_error)
