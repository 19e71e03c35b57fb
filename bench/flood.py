"""/help latency for one member while 20 strangers and members flood the bot with expensive searches.

What is measured: the REAL application (`bot.app.build_application`, the budgets it ships with, its
handlers and store, the Bot API served in-process) running as in production: updates are put on the
application's update queue at their wall-clock times and its own update fetcher handles them one after
the other, as long polling does (the searches the budgets admit are answered from their lane). One member
sends /help every `--help-every` ms; the figure is the time from putting their update on the queue to the
bot's reply to them (median and p95).

Two kinds of phase of `--seconds` each on the same store (after an unmeasured flood of up to 5 s that
warms caches and connections), alternated for `--rounds` rounds so that the load of a shared machine
weighs on both alike: quiet (only the /help member), and the flood: 10 members and 10 strangers each
sending `--rate` "/search <common word>" a second, evenly interleaved, each phase on a fresh application
(fresh budgets: every flood starts with full buckets). Reported per kind over
all its rounds: the /help median and p95 and the ratio of the p95s (the target is within 2x of quiet), and
what became of the flood: searches sent, refused by the budgets (nothing run, not even the member lookup),
run (members' searches and strangers' "members only" answers), and how many replies the flooders got (told
once per streak of refusals). With --unlimited a last phase floods a bot whose budgets never run out.

    python -m bench.flood [--seconds S] [--rounds N] [--rate R] [--help-every MS] [--database URL]
      [--unlimited] [--initiatives N] [--updates N]

The store is generated as `browse_latency` does (Core bulk inserts) so that searches cost what they do
on a busy store. Nothing is asserted on time; a wrong /help reply exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version

from bench.browse_latency import generate
from bench.help_throughput import TOKEN, contact_identity, fresh_database, prepared_store
from bench.stats import p95
from bot.app import BotApplication, build_application
from bot.console.botapi import ApiCall, InProcessBotApi
from bot.console.updates import Identity, UpdateFactory
from bot.domain.vocab import Role
from bot.settings import Settings, load_settings
from handlers.context import DEPS_KEY, Deps
from storage.factory import Store

WORDS = ("migration", "border", "return", "asylum", "mobility", "visa", "funding", "dialogue", "labour")
MEMBERS, STRANGERS = 10, 10
FLOODER_IDS = 800_000  # Telegram ids of the flooders: members first, then strangers


@dataclass
class Phase:
    """One phase's figures."""

    label: str
    help_ms: list[float] = field(default_factory=list)
    sent: int = 0
    refused: int = 0
    replies: int = 0
    told: int = 0

    def p95(self) -> float:
        """Nearest-rank 95th percentile of the /help latencies."""
        return p95(self.help_ms)

    def median(self) -> float:
        """Median /help latency."""
        return statistics.median(self.help_ms) if self.help_ms else float("nan")


class Watch:
    """Listens to the in-process Bot API: times the replies to the /help member, counts the flooders'."""

    def __init__(self, api: InProcessBotApi, helper: int, flooders: set[int]) -> None:
        self.waiting: collections.deque[float] = collections.deque()
        self.phase = Phase("")
        self._helper, self._flooders = helper, flooders
        api.subscribe(self.heard)

    def heard(self, call: ApiCall) -> None:
        """A call the bot made."""
        if call.method != "sendMessage":
            return
        chat = int(call.params["chat_id"])
        if chat == self._helper and self.waiting:
            self.phase.help_ms.append((time.perf_counter() - self.waiting.popleft()) * 1000)
        elif chat in self._flooders:
            self.phase.replies += 1
            self.phase.told += "Too many requests" in str(call.params.get("text", ""))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase (20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of quiet + flood phases (3)")
    parser.add_argument("--rate", type=float, default=10.0, help="searches a second per flooder (10)")
    parser.add_argument("--help-every", type=float, default=100.0, help="ms between two /help (100)")
    parser.add_argument("--database", help="postgresql:// or sqlite:// URL (default: temporary SQLite)")
    parser.add_argument("--initiatives", type=int, default=1000, help="initiatives generated (1000)")
    parser.add_argument("--updates", type=int, default=50_000, help="updates generated (50000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated data (1)")
    parser.add_argument("--unlimited", action="store_true", help="add a flood against unlimited budgets")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rate <= 0 or args.help_every <= 0 or args.rounds < 1:
        parser.error("--seconds, --rounds, --rate and --help-every must be positive")
    if args.initiatives < 500 or args.updates < 2000:
        parser.error("need --initiatives >= 500 and --updates >= 2000 (as browse_latency)")
    return args


async def register_members(store: Store) -> None:
    """The flooding members (contacts of IT); the strangers are not registered."""
    async with store.uow() as uow:
        for n in range(MEMBERS):
            await uow.members.add(
                telegram_user_id=FLOODER_IDS + n,
                chat_id=FLOODER_IDS + n,
                display_name=f"Flooder {n}",
                delegation_code="IT",
                role=Role.CONTACT,
                language="en",
                time_zone="Europe/Brussels",
                now=dt.datetime.now(dt.UTC),
            )
        await uow.commit()


async def drive(
    app: BotApplication,
    watch: Watch,
    helper: Identity,
    flooders: Sequence[Identity],
    args: argparse.Namespace,
) -> None:
    """Put the /help and flood updates on the queue at their times; wait until all were handled."""
    factory = UpdateFactory(app.bot, start=10_000_000 + int(time.time() * 1000) % 1_000_000)
    events: list[tuple[float, Identity, str]] = []
    helps = int(args.seconds * 1000 / args.help_every)
    events += [(n * args.help_every / 1000, helper, "/help") for n in range(helps)]
    gap = 1 / (args.rate * len(flooders)) if flooders else 0.0
    for n in range(int(args.seconds * args.rate * len(flooders))):
        events.append((n * gap, flooders[n % len(flooders)], f"/search {WORDS[n % len(WORDS)]}"))
    events.sort(key=lambda event: event[0])
    loop = asyncio.get_running_loop()
    start = loop.time()
    for at, who, text in events:
        delay = start + at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        update = factory.message(who, text)
        if who is helper:
            watch.waiting.append(time.perf_counter())
        else:
            watch.phase.sent += 1
        app.update_queue.put_nowait(update)
    await app.update_queue.join()  # the fetcher marks each update done once its handlers finished
    deps: Deps = app.bot_data[DEPS_KEY]
    await deps.lane.drain()  # and the searches admitted, answered from their own lane


async def phase(
    label: str, settings: Settings, store: Store, flood: bool, args: argparse.Namespace
) -> tuple[Phase, str]:
    """Run one phase on a freshly built application; its figures and a /help reply to check."""
    api = InProcessBotApi()
    app = build_application(settings, store, request=api, token=TOKEN, deliver=False)
    helper = contact_identity()
    members = [Identity(FLOODER_IDS + n, f"Member {n}") for n in range(MEMBERS)]
    strangers = [Identity(FLOODER_IDS + MEMBERS + n, f"Stranger {n}") for n in range(STRANGERS)]
    flooders = [who for pair in zip(members, strangers, strict=True) for who in pair] if flood else []
    watch = Watch(api, int(helper.chat["id"]), {int(who.chat["id"]) for who in flooders})
    watch.phase.label = label
    await app.initialize()
    await app.start()
    try:
        await drive(app, watch, helper, flooders, args)
    finally:
        await app.stop()
        app.bot_data.pop("store")  # the store outlives this phase's application: its connections stay warm
        await app.shutdown()
    deps: Deps = app.bot_data[DEPS_KEY]
    watch.phase.refused = deps.budgets.refused
    replies = api.sent("sendMessage", chat_id=helper.chat["id"])
    return watch.phase, str(replies[-1].params.get("text", "")) if replies else ""


def report(
    phases: Sequence[Phase], store: Store, settings: Settings, args: argparse.Namespace, load: str
) -> str:
    """The aligned plain-text table."""
    driver = "aiosqlite" if store.backend == "sqlite" else "asyncpg"
    lines = [
        f"Python {platform.python_version()}, python-telegram-bot {version('python-telegram-bot')}, "
        f"pyrate-limiter {version('pyrate-limiter')}, database {store.backend} ({driver})",
        f"store: {args.initiatives:,} initiatives, {args.updates:,} updates; budgets: a user "
        f"{settings.expensive_burst} at once + {settings.expensive_per_minute}/min, search time limit "
        f"{settings.search_time_limit_ms} ms",
        f"/help from one member every {args.help_every:.0f} ms; {args.rounds} rounds of {args.seconds:.0f} s "
        f"quiet, {args.seconds:.0f} s flood: {MEMBERS} members + {STRANGERS} strangers "
        f"x {args.rate:.0f} /search a second; the lane of searches "
        + ("beside the other updates" if store.backend == "postgresql" else "in turn with the updates"),
        f"machine load (1-minute average) at the start and the end: {load}",
        "",
        f"{'phase':<12}{'/help n':>9}{'median ms':>11}{'p95 ms':>9}{'flood sent':>12}{'refused':>9}"
        f"{'run':>7}{'replies':>9}{'told':>6}",
    ]
    for found in phases:
        ran = found.sent - found.refused
        lines.append(
            f"{found.label:<12}{len(found.help_ms):>9}{found.median():>11.1f}{found.p95():>9.1f}"
            f"{found.sent:>12,}{found.refused:>9,}{ran:>7,}{found.replies:>9,}{found.told:>6,}"
        )
    quiet, flooded = phases[0], phases[1]
    lines.append(
        f"\n/help p95 with the flood ÷ quiet: {flooded.p95() / quiet.p95():.2f}x (target: within 2x)"
    )
    return "\n".join(lines)


def pooled(label: str, phases: Sequence[Phase]) -> Phase:
    """The phases of one kind as one: all their samples and counts."""
    whole = Phase(label)
    for one in phases:
        whole.help_ms += one.help_ms
        whole.sent, whole.refused = whole.sent + one.sent, whole.refused + one.refused
        whole.replies, whole.told = whole.replies + one.replies, whole.told + one.told
    return whole


async def run(args: argparse.Namespace) -> int:
    """Generate the store, run the rounds, check /help, print."""
    async with fresh_database(args.database) as url, prepared_store(url) as store:
        await generate(store, args)
        load_before = os.getloadavg()[0]
        await register_members(store)
        settings = load_settings()
        warm = argparse.Namespace(**{**vars(args), "seconds": min(args.seconds, 5.0)})
        await phase("warm-up", settings, store, True, warm)  # caches and connections, not measured
        runs: dict[str, list[Phase]] = {"quiet": [], "flood": []}
        for _ in range(args.rounds):
            for label in runs:
                found, reply = await phase(label, settings, store, label == "flood", args)
                if "/search" not in reply:
                    print(f"{label}: the /help reply does not list /search: {reply!r}", file=sys.stderr)
                    return 1
                runs[label].append(found)
        phases = [pooled(label, found) for label, found in runs.items()]
        if args.unlimited:
            roomy = load_settings(expensive_burst=100_000, group_expensive_burst=100_000)
            phases.append((await phase("unlimited", roomy, store, True, args))[0])
        print(report(phases, store, settings, args, f"{load_before:.1f}, {os.getloadavg()[0]:.1f}"))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: quiet logging, run the benchmark, return the exit code."""
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
