"""`emwp-bot import FILE` and `emwp-bot export`: initiatives and events as YAML or CSV."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import SystemClock
from bot.commands.common import prepare_store
from bot.domain import exchange
from bot.services.exchange import ImportRejected, export_records, import_records
from bot.settings import Settings
from storage.factory import open_store

EXIT_INVALID = 2
MAX_SHOWN = 50


def import_file(settings: Settings, path: Path) -> int:
    """Validate the whole file, then import all of it or nothing; print every problem found.

    A file over MAX_IMPORT_BYTES is refused: by its size when the system knows it, else (a pipe) after
    reading one byte more than the limit, never the whole of it.
    """
    limit = exchange.MAX_IMPORT_BYTES
    too_big = f"{path} is larger than {limit // (1024 * 1024)} MB, the most one import takes: split it."
    try:
        if path.is_file() and path.stat().st_size > limit:
            print(too_big, file=sys.stderr)
            return EXIT_INVALID
        with path.open("rb") as source:
            data = source.read(limit + 1)
        if len(data) > limit:
            print(too_big, file=sys.stderr)
            return EXIT_INVALID
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"Cannot read {path}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    return asyncio.run(_import(settings, path, text))


async def _import(settings: Settings, path: Path, text: str) -> int:
    parsed = exchange.parse(text, path.name, ZoneInfo(settings.tz))
    store = open_store(settings.resolved_database_url())
    try:
        await prepare_store(store)
        report = await import_records(store.uow, parsed, SystemClock().now())
    except ImportRejected as rejected:
        print(f"{path}: {len(rejected.problems)} problem(s); nothing was imported.", file=sys.stderr)
        for problem in rejected.problems[:MAX_SHOWN]:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INVALID
    finally:
        await store.dispose()
    initiatives = (
        f"{report.created} initiative(s) added, {report.updated} updated, {report.unchanged} unchanged"
    )
    events = f"{report.events_created} event(s) added, {report.events_updated} updated"
    print(f"Imported {path}: {initiatives}; {events}.")
    return 0


def export_file(settings: Settings, fmt: str, events: bool, output: Path | None) -> int:
    """Write YAML (initiatives and events) or CSV (initiatives, or events with --events)."""
    text, count = asyncio.run(_export(settings, fmt, events))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"Wrote {count} record(s) to {output}.", file=sys.stderr)
    return 0


async def _export(settings: Settings, fmt: str, events: bool) -> tuple[str, int]:
    store = open_store(settings.resolved_database_url())
    try:
        await prepare_store(store)
        initiatives, event_specs = await export_records(store.uow)
    finally:
        await store.dispose()
    if fmt == "csv":
        rows = exchange.event_rows(event_specs) if events else exchange.initiative_rows(initiatives)
        columns = exchange.EVENT_COLUMNS if events else exchange.INITIATIVE_COLUMNS
        return exchange.to_csv(rows, columns), len(rows)
    rows = exchange.initiative_rows(initiatives)
    return exchange.to_yaml(rows, exchange.event_rows(event_specs)), len(rows) + len(event_specs)
