"""`emwp-bot`: the one entry point, and the only place that reads settings."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.commands import exchange, invite, records, run, store
from bot.commands.common import EXIT_CONFIG
from bot.console.session import run_console
from bot.logsetup import configure_logging
from bot.settings import SettingsError, default_data_dir, load_settings

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
    records.add_parsers(sub)
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
    configure_logging(level, secrets, settings.log_format)
    if args.command == "run":
        return run.run_polling(settings)
    if args.command == "console":
        url = args.database or f"sqlite:///{default_data_dir() / 'console.sqlite3'}"
        return run_console(settings, url, args.identity)
    if args.command == "db":
        return asyncio.run(store.upgrade_schema(settings))
    if args.command == "import":
        return exchange.import_file(settings, args.file)
    if args.command == "export":
        return exchange.export_file(settings, args.format, args.events, args.output)
    if args.command == "outbox":
        return asyncio.run(store.outbox_status(settings))
    if args.command in ("erase", "retention", "archive"):
        return records.run(settings, args)
    if args.command == "invite":
        return asyncio.run(
            invite.print_invite(settings, args.role, args.delegation, args.uses, args.days, args.bot_username)
        )
    return asyncio.run(store.seed(settings, args.file))


if __name__ == "__main__":
    raise SystemExit(main())
