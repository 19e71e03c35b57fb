"""`emwp-bot`: the one entry point, and the only place that reads settings."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.clock import SystemClock
from bot.logsetup import configure_logging
from bot.settings import Settings, SettingsError, default_data_dir, load_settings
from storage.factory import Store, open_store

EXIT_CONFIG = 2
EXIT_TELEGRAM = 3

log = logging.getLogger("emwp-bot")


def parser() -> argparse.ArgumentParser:
    """The command line: run, console, db upgrade, seed, invite, import/export, outbox, erase, retention,
    archive."""
    root = argparse.ArgumentParser(prog="emwp-bot", description="The EMWP information-exchange Telegram bot.")
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="serve Telegram by long polling (needs TELEGRAM_BOT_TOKEN)")
    console = sub.add_parser("console", help="chat with the bot in this terminal: no token, no network")
    console.add_argument(
        "--database", help="database URL (default: a console SQLite file in the data directory)"
    )
    console.add_argument(
        "--as",
        dest="identity",
        default="admin",
        choices=["admin", "contact", "observer", "guest"],
        help="identity to start as",
    )
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply pending schema migrations")
    invite = sub.add_parser("invite", help="print an invitation deep link (how the first admin gets in)")
    invite.add_argument("--role", required=True, choices=["admin", "contact", "observer"])
    invite.add_argument("--delegation", required=True, type=str.upper, help="delegation code, e.g. GSC or FR")
    invite.add_argument("--uses", type=int, default=1, help="how many people may use it (default 1)")
    invite.add_argument("--days", type=int, default=7, help="days until it expires (default 7)")
    invite.add_argument(
        "--bot-username", help="the bot's @username (default: asked from Telegram with the token)"
    )
    imp = sub.add_parser(
        "import", help="import initiatives and events from a YAML or CSV file (all or nothing)"
    )
    imp.add_argument("file", type=Path)
    exp = sub.add_parser("export", help="export initiatives and events as YAML (default) or CSV")
    exp.add_argument("--format", choices=["yaml", "csv"], default="yaml")
    exp.add_argument(
        "--events", action="store_true", help="with --format csv: the events instead of initiatives"
    )
    exp.add_argument("--output", type=Path, help="file to write (default: standard output)")
    outbox = sub.add_parser("outbox", help="the delivery engine")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    outbox_sub.add_parser("status", help="queued, sent, failed and skipped messages; unreachable recipients")
    seed = sub.add_parser("seed", help="load the reference data (idempotent)")
    seed.add_argument("--file", type=Path, help="a seed file of the same shape (default: the shipped one)")
    from bot import records_cli

    records_cli.add_parsers(sub)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, configure logging, dispatch; return the exit code."""
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    level = logging.getLevelNamesMapping()[settings.log_level]
    if args.command == "console":
        level = max(level, logging.WARNING)  # the console is a chat: only warnings and errors interrupt it
    secrets = [s.get_secret_value() for s in (settings.telegram_bot_token, settings.webhook_secret) if s]
    configure_logging(level, secrets)
    if args.command == "run":
        from bot.runner import run_polling

        return run_polling(settings)
    if args.command == "console":
        from bot.console.session import run_console

        url = args.database or f"sqlite:///{default_data_dir() / 'console.sqlite3'}"
        return run_console(settings, url, args.identity)
    if args.command == "db":
        return asyncio.run(_upgrade(settings))
    if args.command in ("import", "export"):
        from bot import exchange_cli

        if args.command == "import":
            return exchange_cli.import_file(settings, args.file)
        return exchange_cli.export_file(settings, args.format, args.events, args.output)
    if args.command == "outbox":
        return asyncio.run(_outbox_status(settings))
    if args.command in ("erase", "retention", "archive"):
        from bot import records_cli

        return records_cli.run(settings, args)
    if args.command == "invite":
        from bot.invite_cli import print_invite

        return asyncio.run(
            print_invite(settings, args.role, args.delegation, args.uses, args.days, args.bot_username)
        )
    return asyncio.run(_seed(settings, args.file))


async def _upgrade(settings: Settings) -> int:
    store = open_store(settings.resolved_database_url())
    try:
        await store.upgrade()
    finally:
        await store.dispose()
    print(f"Schema is up to date ({store.backend}).")
    return 0


async def _outbox_status(settings: Settings) -> int:
    from bot.services.outbox import engine_state

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
    if state.withheld:
        held = ", ".join(f"{reason} {n}" for reason, n in sorted(state.withheld.items()))
        print(f"Held back by the read rules when their turn came: {held}")
    print(f"May have been sent twice (in flight at a crash or a timeout): {state.maybe_duplicates}")
    for chat, error in state.recent_failures:
        print(f"  failed  chat {chat}: {error}")
    for user, name in state.unreachable:
        print(f"  unreachable  {name} (Telegram user {user})")
    return 0


async def _seed(settings: Settings, path: Path | None) -> int:
    from bot.services.seeding import seed_store
    from storage.countries import load_countries
    from storage.seed_loader import load_seed

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


async def prepare_store(store: Store) -> None:
    """Bring the schema up to date and seed a store that has no initiatives yet."""
    from bot.services.seeding import seed_if_empty
    from storage.countries import load_countries
    from storage.seed_loader import load_seed

    await store.upgrade()
    await seed_if_empty(store.uow, load_seed, load_countries, SystemClock().now())


if __name__ == "__main__":
    raise SystemExit(main())
