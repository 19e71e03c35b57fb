"""What the commands share: their exit codes, and bringing a store up to date."""

from __future__ import annotations

from bot.clock import SystemClock
from bot.services.seeding import seed_if_empty
from storage.countries import load_countries
from storage.factory import Store
from storage.seed_loader import load_seed

EXIT_CONFIG = 2  # a setting is missing or malformed
EXIT_TELEGRAM = 3  # Telegram rejected the token
EXIT_UNREACHABLE = 4  # the Bot API could not be reached


async def prepare_store(store: Store) -> None:
    """Bring the schema up to date and seed a store that has no initiatives yet."""
    await store.upgrade()
    await seed_if_empty(store.uow, load_seed, load_countries, SystemClock().now())
