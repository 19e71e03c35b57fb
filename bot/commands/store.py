"""`emwp-bot db upgrade`, `seed` and `outbox status`: keeping the store."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.clock import SystemClock
from bot.commands.common import EXIT_CONFIG
from bot.services.outbox import engine_state
from bot.services.seeding import seed_store
from bot.settings import Settings
from storage.countries import load_countries
from storage.factory import open_store
from storage.seed_loader import load_seed


async def upgrade_schema(settings: Settings) -> int:
    """`db upgrade`: apply pending migrations."""
    store = open_store(settings.resolved_database_url())
    try:
        await store.upgrade()
    finally:
        await store.dispose()
    print(f"Schema is up to date ({store.backend}).")
    return 0


async def outbox_status(settings: Settings) -> int:
    """`outbox status`: the delivery engine's state, as /notices shows it."""
    store = open_store(settings.resolved_database_url())
    try:
        await store.upgrade()
        state = await engine_state(store.uow, None)
    finally:
        await store.dispose()
    print(
        "Outbox: " + ", ".join(f"{s} {n}" for s, n in sorted(state.by_status.items()))
        if state.by_status
        else "Outbox: empty"
    )
    if state.skipped:
        causes = ", ".join(f"{cause.value} {n}" for cause, n in sorted(state.skipped.items()))
        print(f"Skipped (cancelled or stopped by an admin, recipient unreachable): {causes}")
    if state.withheld:
        held = ", ".join(f"{reason} {n}" for reason, n in sorted(state.withheld.items()))
        print(f"Held back by the read rules when their turn came: {held}")
    print(f"May have been sent twice (in flight at a crash or a timeout): {state.maybe_duplicates}")
    for chat, error in state.recent_failures:
        print(f"  failed  chat {chat}: {error}")
    for user, name in state.unreachable:
        print(f"  unreachable  {name} (Telegram user {user})")
    return 0


async def seed(settings: Settings, path: Path | None) -> int:
    """`seed`: load the reference data; a second run changes nothing."""
    try:
        seed = load_seed(path)
    except (OSError, ValueError) as exc:
        print(f"Cannot read the seed file: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    store = open_store(settings.resolved_database_url())
    try:
        await store.upgrade()
        report = await seed_store(store.uow, seed, load_countries(), SystemClock().now())
    finally:
        await store.dispose()
    print(_describe_seed(report.inserted, report.updated))
    return 0


def _describe_seed(inserted: dict[str, int], updated: dict[str, int]) -> str:
    if not any(inserted.values()) and not any(updated.values()):
        return "Seed already applied: nothing changed."
    parts = [
        f"{table}: {inserted.get(table, 0)} added, {updated.get(table, 0)} updated"
        for table in sorted(set(inserted) | set(updated))
    ]
    return "Seed applied. " + "; ".join(parts)
