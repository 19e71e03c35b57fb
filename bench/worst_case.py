"""The slowest /search over 1,000 generated queries, and the slowest /digest preview, on a large store.

What is measured: `Application.process_update` of the REAL application (in-process Bot API, budgets that
never run out: latency, not the abuse limits) on the store `browse_latency` generates (5,000 initiatives,
200,000 updates by default). The queries are generated with a fixed seed, in kinds: common words, rare
words, words no update holds, quoted phrases that never match, word beginnings (prefixes), many words
(the 12 a query keeps), and punctuation and operators mixed in (which only separate words). A search
that runs out of its time limit is answered "too broad" in that time: it counts with its time. /digest
previews the week for members subscribed to everything (a contact, an observer, the admin: each reads a
different part), and to the heaviest country. Each reply is checked for a text. No time is asserted; the
issue's bounds (slowest /search 50 ms, slowest /digest preview 100 ms) are printed beside.

    python -m bench.worst_case [--database URL] [--queries N] [--digests R] [--initiatives N] [--updates N]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import random
import statistics
import string
import sys
import time
from collections.abc import Sequence

from bench.browse_latency import COMMON, HEAVY, PHRASE, RARE, VOCABULARY, generate
from bench.help_throughput import TOKEN, fresh_database, prepared_store
from bot.app import BotApplication, build_application
from bot.console.botapi import InProcessBotApi
from bot.console.updates import Identity, UpdateFactory
from bot.domain.digests import Frequency, Scope
from bot.ports import UnitOfWorkFactory
from bot.services import digests
from bot.services.actors import Actor
from bot.services.demo import DEMO_PEOPLE
from bot.settings import load_settings

SEARCH_BOUND_MS, DIGEST_BOUND_MS = 50.0, 100.0
KINDS = ("common", "rare", "absent", "phrase", "prefix", "many", "punctuation")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.worst_case", description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="postgresql:// or sqlite:// URL (default: temporary SQLite)")
    parser.add_argument("--queries", type=int, default=1000, help="generated /search queries (1000)")
    parser.add_argument("--digests", type=int, default=10, help="/digest previews per member (10)")
    parser.add_argument("--initiatives", type=int, default=5000, help="initiatives generated (5000)")
    parser.add_argument("--updates", type=int, default=200_000, help="updates generated (200000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    return parser.parse_args(argv)


def queries(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, text after /search), the kinds in turn."""

    def word() -> str:
        return rng.choice(VOCABULARY)

    def absent() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 11)))

    made = {
        "common": lambda: rng.choice([COMMON, word(), f"{COMMON} {word()}"]),
        "rare": lambda: rng.choice(RARE),
        "absent": lambda: rng.choice([absent(), f"{absent()} {absent()}", f"{COMMON} {absent()}"]),
        "phrase": lambda: rng.choice(
            [f'"{absent()} {word()}"', f'"{word()} {PHRASE}"', f'"{COMMON} {absent()}"']
        ),
        "prefix": lambda: word()[: rng.randint(2, 5)],
        "many": lambda: " ".join(word() for _ in range(rng.randint(8, 16))),
        "punctuation": lambda: rng.choice(
            [
                f"({COMMON}) AND -{word()}",
                f"{word()}* OR ^{word()}:",
                f'"{word()}',
                f"{word()}!!! ?? {word()}…",
            ]
        ),
    }
    return [(kind, made[kind]()) for kind in (KINDS[i % len(KINDS)] for i in range(count))]


async def subscribe(uow: UnitOfWorkFactory, who: int, scope: Scope) -> None:
    """A weekly subscription of the member with Telegram id `who`."""
    await digests.subscribe(
        uow,
        Actor(who),
        scope,
        Frequency.WEEKLY,
        0,
        dt.time(8, 0),
        True,
        dt.datetime.now(dt.UTC),
    )


async def run(args: argparse.Namespace) -> int:
    """Generate, time every query and every preview, print the slowest."""
    rng = random.Random(args.seed)
    async with fresh_database(args.database) as url, prepared_store(url) as store:
        data = await generate(store, args)
        api = InProcessBotApi()
        settings = load_settings(expensive_burst=100_000, expensive_per_minute=10_000)
        app = build_application(settings, store, request=api, token=TOKEN, deliver=False)
        people = {p.key: p for p in DEMO_PEOPLE}
        readers = {
            key: Identity(people[key].telegram_user_id, people[key].name)
            for key in ("contact", "observer", "admin")
        }
        for identity in readers.values():
            await subscribe(store.uow, identity.user_id, Scope())
        heavy = Identity(people["contact"].telegram_user_id, "heavy")
        async with app:
            factory = UpdateFactory(app.bot)
            contact = readers["contact"]
            for _ in range(20):  # warm up
                await app.process_update(factory.message(contact, f"/search {COMMON}"))
            timed: dict[str, list[float]] = {kind: [] for kind in KINDS}
            slowest: list[tuple[float, str]] = []
            for kind, text in queries(args.queries, rng):
                before, start = len(api.calls), time.perf_counter()
                await app.process_update(factory.message(contact, f"/search {text}"))
                ms = (time.perf_counter() - start) * 1000
                if not any(c.method == "sendMessage" for c in api.calls[before:]):
                    print(f"no reply to /search {text!r}", file=sys.stderr)
                    return 1
                timed[kind].append(ms)
                slowest.append((ms, f"/search {text}"))
            digest_ms: dict[str, list[float]] = {}
            for label, who in [*readers.items()]:
                digest_ms[f"everything ({label})"] = await previews(app, api, factory, who, args.digests)
            await digests.unsubscribe(store.uow, Actor(heavy.user_id), None, dt.datetime.now(dt.UTC))
            await subscribe(store.uow, heavy.user_id, Scope(everything=False, countries=(HEAVY,)))
            digest_ms[f"country {HEAVY} (contact)"] = await previews(app, api, factory, contact, args.digests)
        print(report(store.backend, data.updates, timed, sorted(slowest)[-5:], digest_ms))
    return 0


async def previews(
    app: BotApplication, api: InProcessBotApi, factory: UpdateFactory, who: Identity, runs: int
) -> list[float]:
    """Time `runs` /digest previews by `who`."""
    times = []
    for _ in range(runs + 1):
        before, start = len(api.calls), time.perf_counter()
        await app.process_update(factory.message(who, "/digest"))
        times.append((time.perf_counter() - start) * 1000)
        if not any(c.method == "sendMessage" for c in api.calls[before:]):
            raise SystemExit("no reply to /digest")
    return times[1:]  # the first one warms up


def report(
    backend: str,
    updates: int,
    timed: dict[str, list[float]],
    slowest: list[tuple[float, str]],
    digest_ms: dict[str, list[float]],
) -> str:
    """The table."""
    every = [ms for values in timed.values() for ms in values]
    lines = [
        f"database {backend}; {updates:,} updates; {len(every)} /search queries",
        "",
        f"{'/search kind':<28}{'n':>6}{'median ms':>12}{'max ms':>10}",
    ]
    for kind, values in timed.items():
        lines.append(f"{kind:<28}{len(values):>6}{statistics.median(values):>12.1f}{max(values):>10.1f}")
    ok = "yes" if max(every) <= SEARCH_BOUND_MS else "NO"
    lines += [
        f"{'slowest /search':<28}{'':>6}{'':>12}{max(every):>10.1f}   within {SEARCH_BOUND_MS:.0f} ms: {ok}"
    ]
    lines += [f"    {ms:8.1f} ms  {text[:80]}" for ms, text in reversed(slowest)]
    lines += ["", f"{'/digest preview':<28}{'n':>6}{'median ms':>12}{'max ms':>10}"]
    for label, values in digest_ms.items():
        lines.append(f"{label:<28}{len(values):>6}{statistics.median(values):>12.1f}{max(values):>10.1f}")
    worst = max(max(v) for v in digest_ms.values())
    ok = "yes" if worst <= DIGEST_BOUND_MS else "NO"
    label = "slowest /digest preview"
    lines.append(f"{label:<28}{'':>18}{worst:>10.1f}   within {DIGEST_BOUND_MS:.0f} ms: {ok}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
