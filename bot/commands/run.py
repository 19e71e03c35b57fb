"""`emwp-bot run`: long polling against Telegram or a self-hosted Bot API server; a webhook when
WEBHOOK_URL is set."""

from __future__ import annotations

import asyncio
import logging
import sys

from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError

from bot.app import build_application
from bot.commands.common import EXIT_CONFIG, EXIT_TELEGRAM, EXIT_UNREACHABLE, prepare_store
from bot.settings import Settings
from bot.web.serve import serve_operations_beside_polling, serve_webhook
from storage.factory import Store, open_store
from storage.single_process import StoreInUse, claim_sqlite

log = logging.getLogger(__name__)


def run_polling(settings: Settings) -> int:
    """Serve until SIGINT or SIGTERM; return an exit code with a clear message on failure."""
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value().strip():
        print(
            "TELEGRAM_BOT_TOKEN is not set: expected the token @BotFather gave you, like 123456:ABC-DEF…",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    if settings.webhook_url is not None and settings.webhook_secret is None:
        print(
            "WEBHOOK_URL is set but WEBHOOK_SECRET is not: expected a secret of 16 to 256 characters "
            "(A-Z, a-z, 0-9, _ and -) that Telegram sends with every update.",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        claimed = claim_sqlite(settings.resolved_database_url())  # held until the process ends
    except StoreInUse as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    try:
        # Ask Telegram who we are before anything else, so a bad token or address is one clear line.
        asyncio.run(_check_bot_api(settings))
        store = open_store(settings.resolved_database_url())
        asyncio.run(_prepare(store))
        app = build_application(settings, store)
        if settings.webhook_url is not None:
            # Stops cleanly on SIGINT and SIGTERM: requests in hand are answered, then the store is closed.
            asyncio.run(serve_webhook(app, store, settings))
            return 0
        if settings.ops_port is not None:
            serve_operations_beside_polling(app, store, settings)
        # Stops cleanly on SIGINT and SIGTERM: the update in hand is finished, then the store is closed.
        app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False, close_loop=True)
    except InvalidToken:
        print("Telegram rejected TELEGRAM_BOT_TOKEN: check the token @BotFather gave you.", file=sys.stderr)
        return EXIT_TELEGRAM
    except NetworkError as exc:
        print(f"Cannot reach the Bot API at {settings.telegram_api_base_url}: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    finally:
        if claimed is not None:
            claimed.close()
    return 0


async def _check_bot_api(settings: Settings) -> None:
    assert settings.telegram_bot_token is not None
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_file_url,
    )
    async with bot:
        log.info("Telegram knows this bot as @%s", bot.username)


async def _prepare(store: Store) -> None:
    try:
        await prepare_store(store)
    finally:
        await store.dispose()
