"""Throughput of /help from a registered member, against a bare python-telegram-bot echo baseline.

What is measured: the full in-process cost of one update through `Application.process_update` on the
REAL application (`bot.app.build_application`: handler dispatch, the member lookup in the store, the
help text, the reply sent through PTB to an in-process Bot API), on a fresh, migrated and seeded store
with the demo members registered. Each update is a `/help` from the demo "contact" member.

Why the echo baseline: absolute timings drift between machines and runs, so the same run also measures
a bare PTB `Application` (same in-process Bot API, one `MessageHandler` replying with the text) on the
same kind of update. The ratio /help ÷ echo is the figure to compare; what exceeds the baseline is the
bot's own cost (store, unit of work, texts). The shared PERFORMANCE.md has reference figures.

Update objects are built before each timed loop; both applications are warmed up first; runs alternate
which application goes first. No time is asserted; the /help reply is checked once, outside timing.

    python -m bench.help_throughput [--updates N] [--runs R] [--warmup W] [--database URL]

Without --database a SQLite file in a temporary folder is used; with a postgresql:// URL a temporary
database is created on that server and dropped at the end. A sqlite:// URL is used as given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import platform
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sqlalchemy import text
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bench import stats
from bench.profiling import profiled
from bot.app import build_application
from bot.clock import SystemClock
from bot.commands.common import prepare_store
from bot.console.botapi import InProcessBotApi
from bot.console.updates import Identity, UpdateFactory
from bot.services.demo import DEMO_PEOPLE, ensure_demo_members
from bot.settings import load_settings
from storage.engine import async_url, make_engine
from storage.factory import Store, open_store

# Not a secret: the in-process Bot API accepts any token of the right shape.
TOKEN = "7000000001:bench"  # noqa: S105
TEXT = "/help"

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class RunStats:
    """One timed run of one application: throughput and per-update latency."""

    per_second: float
    median_us: float
    p95_us: float


@dataclass
class Contender:
    """An application under measurement, the factory of its updates, and its runs so far."""

    label: str
    app: AnyApplication
    factory: UpdateFactory
    runs: list[RunStats] = field(default_factory=list)

    def updates(self, who: Identity, count: int) -> list[Update]:
        """Fresh /help updates, bound to this application's bot."""
        return [self.factory.message(who, TEXT) for _ in range(count)]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.help_throughput", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--updates", type=int, default=2000, help="updates per timed run (default 2000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs; medians are reported (default 3)")
    parser.add_argument("--warmup", type=int, default=500, help="untimed updates first (default 500)")
    parser.add_argument("--database", help="postgresql:// or sqlite:// URL (default: temporary SQLite)")
    parser.add_argument("--profile", action="store_true", help="cProfile one more run of /help; top costs")
    args = parser.parse_args(argv)
    if args.updates < 1 or args.runs < 1 or args.warmup < 0:
        parser.error("--updates and --runs must be positive, --warmup not negative")
    return args


def contact_identity() -> Identity:
    """The demo "contact" member, writing in their private chat."""
    person = next(p for p in DEMO_PEOPLE if p.key == "contact")
    return Identity(person.telegram_user_id, person.name)


@contextlib.asynccontextmanager
async def fresh_database(url: str | None) -> AsyncIterator[str]:
    """A database URL for this run: a temporary SQLite file, a temporary PostgreSQL database, or `url`."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="emwp-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
    elif url.startswith(("postgresql", "postgres://")):
        async with temporary_postgres_database(url) as temporary:
            yield temporary
    else:
        yield url


@contextlib.asynccontextmanager
async def temporary_postgres_database(url: str) -> AsyncIterator[str]:
    """Create `bench_<random>` on the server of `url`; drop it (closing its connections) at the end."""
    name = f"bench_{secrets.token_hex(6)}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield async_url(url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@contextlib.asynccontextmanager
async def prepared_store(url: str) -> AsyncIterator[Store]:
    """The store at `url`, migrated, seeded, with the demo members registered; disposed at the end."""
    store = open_store(url)
    try:
        await prepare_store(store)
        await ensure_demo_members(store.uow, SystemClock().now())
        yield store
    finally:
        await store.dispose()


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the text received: the least a handler can do."""
    if update.message is not None and update.message.text:
        await update.message.reply_text(update.message.text)


def build_echo_application(api: InProcessBotApi) -> AnyApplication:
    """A bare PTB application answered by the same kind of in-process Bot API."""
    app = ApplicationBuilder().token(TOKEN).request(api).get_updates_request(api).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


async def help_reply(contender: Contender, api: InProcessBotApi, who: Identity) -> str:
    """Send one /help outside timing; the text of the bot's last message to that chat."""
    await contender.app.process_update(contender.updates(who, 1)[0])
    sent = api.sent("sendMessage", chat_id=who.chat["id"])
    return str(sent[-1].params.get("text", "")) if sent else ""


def summarise(samples_ns: Sequence[int], elapsed_ns: int) -> RunStats:
    """Updates per second over the whole loop; median and p95 (nearest rank) of the per-update times."""
    ordered = sorted(samples_ns)
    p95 = stats.p95(ordered)
    return RunStats(
        per_second=len(ordered) / (elapsed_ns / 1e9),
        median_us=statistics.median(ordered) / 1000,
        p95_us=p95 / 1000,
    )


async def measure(app: AnyApplication, updates: Sequence[Update]) -> RunStats:
    """Time each `process_update` call, one after the other."""
    samples: list[int] = []
    gc.collect()
    start = time.perf_counter_ns()
    for update in updates:
        before = time.perf_counter_ns()
        await app.process_update(update)
        samples.append(time.perf_counter_ns() - before)
    return summarise(samples, time.perf_counter_ns() - start)


async def compete(contenders: Sequence[Contender], who: Identity, args: argparse.Namespace) -> None:
    """Warm every contender up, then run each `args.runs` times, alternating which goes first."""
    for contender in contenders:
        if args.warmup:
            await measure(contender.app, contender.updates(who, args.warmup))
    for index in range(args.runs):
        order = contenders if index % 2 == 0 else list(reversed(contenders))
        for contender in order:
            updates = contender.updates(who, args.updates)
            contender.runs.append(await measure(contender.app, updates))


def median_of(runs: Sequence[RunStats]) -> RunStats:
    """Each figure's median over the runs."""
    return RunStats(
        per_second=statistics.median(r.per_second for r in runs),
        median_us=statistics.median(r.median_us for r in runs),
        p95_us=statistics.median(r.p95_us for r in runs),
    )


def report(emwp: Contender, echo_app: Contender, backend: str, args: argparse.Namespace) -> str:
    """The aligned plain-text table."""
    driver = "aiosqlite" if backend == "sqlite" else "asyncpg"
    ratios = [e.median_us / b.median_us for e, b in zip(emwp.runs, echo_app.runs, strict=True)]
    lines = [
        f"Python {platform.python_version()}, python-telegram-bot {version('python-telegram-bot')}, "
        f"SQLAlchemy {version('SQLAlchemy')}, database {backend} ({driver} {version(driver)})",
        f"{args.updates} updates per run, {args.runs} runs, {args.warmup} warm-up; medians over runs",
        "",
        f"{'path':<22}{'updates/s':>12}{'median µs':>12}{'p95 µs':>12}",
    ]
    for contender in (echo_app, emwp):
        stats = median_of(contender.runs)
        lines.append(
            f"{contender.label:<22}{stats.per_second:>12,.0f}{stats.median_us:>12.1f}{stats.p95_us:>12.1f}"
        )
    lines.append(f"{'ratio /help ÷ echo':<22}{'':>12}{statistics.median(ratios):>11.2f}x")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> int:
    """Set up both applications on a fresh store, check /help once, measure, print."""
    who = contact_identity()
    async with fresh_database(args.database) as url, prepared_store(url) as store:
        emwp_api, echo_api = InProcessBotApi(), InProcessBotApi()
        emwp_app = build_application(load_settings(), store, request=emwp_api, token=TOKEN)
        echo_app = build_echo_application(echo_api)
        async with emwp_app, echo_app:
            emwp = Contender("emwp /help (member)", emwp_app, UpdateFactory(emwp_app.bot))
            baseline = Contender("bare PTB echo", echo_app, UpdateFactory(echo_app.bot))
            reply = await help_reply(emwp, emwp_api, who)
            if TEXT not in reply:
                print(f"/help reply does not mention {TEXT}: {reply!r}", file=sys.stderr)
                return 1
            await compete([baseline, emwp], who, args)
            profile = await profiled(emwp_app, emwp.updates(who, args.updates), TEXT) if args.profile else ""
        print(report(emwp, baseline, store.backend, args))
        if profile:
            print("\n" + profile)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: quiet logging, run the benchmark, return the exit code."""
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
