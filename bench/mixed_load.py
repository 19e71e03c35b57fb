"""Many members at once: cheap commands quiet and beside members sending expensive searches.

What is measured: the REAL application run as in production (`bot.app.build_application`: its update
processor, the budgets that never run out here, in-process Bot API), its own fetcher taking updates from
the update queue, on the store `browse_latency` generates. `--members` simulated members (200) each send
an update, wait for the bot's answer, think a moment (0 to 2×`--think` s) and send the next, in a mix:
/help, /initiative REF, /initiatives and its ▶ press, /following, /subscriptions, /settings and /search of
a rare word. A 5-second warm-up phase comes first, unreported. In the loaded phase `--heavy` of them (10)
send only expensive searches (a common word, a phrase that never matches, many words) instead. Each phase
lasts `--seconds`. Reported per phase: answers
a second, the median and p95 of the cheap commands (/help, /initiative, /following, /subscriptions,
/settings) from the update on the queue to the answer, their ratio (the issue's target: loaded within 2x
of quiet), the searches run, and the process's RSS. No time is asserted.

    python -m bench.mixed_load [--database URL] [--members N] [--heavy N] [--seconds S] [--think S]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import random
import resource
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from bench.browse_latency import COMMON, RARE, generate
from bench.help_throughput import TOKEN, fresh_database, prepared_store
from bench.stats import p95
from bot.app import BotApplication, build_application
from bot.console.botapi import ApiCall, InProcessBotApi
from bot.console.updates import Identity, UpdateFactory
from bot.domain.vocab import Role
from bot.settings import load_settings
from storage.factory import Store
from storage.models import InitiativeRow

MEMBER_IDS = 900_000
CHEAP = ("/help", "/initiative", "/following", "/subscriptions", "/settings")
HEAVY_SEARCHES = (f"/search {COMMON}", '/search "quinquennial hydrofoil"', "/search " + " ".join(RARE * 3))


@dataclass
class Phase:
    """One phase's figures."""

    label: str
    cheap_ms: list[float] = field(default_factory=list)
    answered: int = 0
    searches: int = 0
    seconds: float = 0.0
    rss_mb: float = 0.0

    def p95(self) -> float:
        """Nearest-rank 95th percentile of the cheap commands."""
        return p95(self.cheap_ms)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.mixed_load", description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="postgresql:// or sqlite:// URL (default: temporary SQLite)")
    parser.add_argument("--members", type=int, default=200, help="simulated members (200)")
    parser.add_argument("--heavy", type=int, default=10, help="of them sending expensive searches (10)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase (20)")
    parser.add_argument(
        "--think", type=float, default=0.5, help="mean pause between a member's updates (0.5 s)"
    )
    parser.add_argument("--initiatives", type=int, default=5000, help="initiatives generated (5000)")
    parser.add_argument("--updates", type=int, default=50_000, help="updates generated (50000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    return parser.parse_args(argv)


async def register_members(store: Store, count: int) -> list[Identity]:
    """Contacts of a few delegations."""
    delegations = ("FR", "DE", "IT", "ES", "NL", "PL")
    async with store.uow() as uow:
        for n in range(count):
            await uow.members.add(
                telegram_user_id=MEMBER_IDS + n,
                chat_id=MEMBER_IDS + n,
                display_name=f"Member {n}",
                delegation_code=delegations[n % len(delegations)],
                role=Role.CONTACT,
                language="en",
                time_zone="Europe/Brussels",
                now=dt.datetime.now(dt.UTC),
            )
        await uow.commit()
    return [Identity(MEMBER_IDS + n, f"Member {n}") for n in range(count)]


class Answers:
    """Wakes the member waiting in a chat when the bot answers there (a message, an edit or an alert)."""

    def __init__(self, api: InProcessBotApi) -> None:
        self.waiting: dict[int, asyncio.Future[ApiCall]] = {}
        self.queries: dict[str, int] = {}
        api.subscribe(self.heard)

    def heard(self, call: ApiCall) -> None:
        """A call the bot made."""
        if call.method == "answerCallbackQuery":
            chat = self.queries.pop(str(call.params.get("callback_query_id")), None)
            if call.params.get("text") is None:
                return  # the edit that follows answers the press
        elif call.method in ("sendMessage", "editMessageText"):
            chat = int(call.params["chat_id"])
        else:
            return
        future = self.waiting.pop(chat, None) if chat is not None else None
        if future is not None and not future.done():
            future.set_result(call)


async def member_loop(
    app: BotApplication,
    answers: Answers,
    who: Identity,
    heavy: bool,
    refs: Sequence[str],
    phase: Phase,
    until: float,
    args: argparse.Namespace,
    rng: random.Random,
) -> None:
    """Send, wait for the answer, think; until the phase ends."""
    factory = UpdateFactory(app.bot, start=rng.randrange(10**9))
    chat = int(who.chat["id"])
    last_list: dict[str, object] | None = None
    loop = asyncio.get_running_loop()
    await asyncio.sleep(rng.random() * args.think)
    while loop.time() < until:
        if heavy:
            text = rng.choice(HEAVY_SEARCHES)
        else:
            text = rng.choice([*CHEAP, "/initiatives", "▶", f"/search {rng.choice(RARE)}"])
            if text == "/initiative":
                text = f"/initiative {rng.choice(refs)}"
            if text == "▶" and last_list is None:
                text = "/initiatives"
        if text == "▶":
            assert last_list is not None
            rows = last_list["reply_markup"]["inline_keyboard"]  # type: ignore[index]
            data = next((b["callback_data"] for row in rows for b in row if b["text"] == "▶"), None)
            if data is None:
                last_list = None
                continue
            update = factory.callback(who, last_list, data)
            assert update.callback_query is not None
            answers.queries[update.callback_query.id] = chat
        else:
            update = factory.message(who, text)
        answered: asyncio.Future[ApiCall] = loop.create_future()
        answers.waiting[chat] = answered
        start = time.perf_counter()
        app.update_queue.put_nowait(update)
        try:
            call = await asyncio.wait_for(answered, timeout=30)
        except TimeoutError:
            answers.waiting.pop(chat, None)
            continue
        ms = (time.perf_counter() - start) * 1000
        phase.answered += 1
        phase.searches += text.startswith("/search")
        if text.split()[0] in CHEAP:
            phase.cheap_ms.append(ms)
        if text == "/initiatives" and call.method == "sendMessage":
            last_list = {**call.result} if isinstance(call.result, dict) else None
        await asyncio.sleep(rng.random() * 2 * args.think)


def rss_mb() -> float:
    """The process's resident memory now."""
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def phase(
    label: str,
    store: Store,
    members: Sequence[Identity],
    heavy: int,
    refs: Sequence[str],
    args: argparse.Namespace,
) -> Phase:
    """One phase on a fresh application (the store and its warm connections are kept)."""
    api = InProcessBotApi()
    settings = load_settings(expensive_burst=100_000, expensive_per_minute=10_000)
    app = build_application(settings, store, request=api, token=TOKEN, deliver=False)
    answers = Answers(api)
    result = Phase(label)
    rng = random.Random(args.seed)
    await app.initialize()
    await app.start()
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        until = started + args.seconds
        await asyncio.gather(
            *(
                member_loop(app, answers, who, n < heavy, refs, result, until, args, rng)
                for n, who in enumerate(members)
            )
        )
        result.seconds = loop.time() - started
        result.rss_mb = rss_mb()
        await app.update_queue.join()
    finally:
        await app.stop()
        app.bot_data.pop("store")  # the store outlives the phase
        await app.shutdown()
    return result


def report(phases: Sequence[Phase], backend: str, args: argparse.Namespace) -> str:
    """The table."""
    load = os.getloadavg()
    lines = [
        f"database {backend}; {args.members} members, {args.heavy} sending expensive searches when loaded; "
        f"{args.seconds:.0f} s a phase, think {args.think} s mean; load average {load[0]:.1f} {load[1]:.1f}",
        "",
        f"{'phase':<10}{'answers/s':>11}{'cheap n':>9}{'median ms':>11}{'p95 ms':>9}"
        f"{'searches':>10}{'RSS MB':>9}",
    ]
    for p in phases:
        median = statistics.median(p.cheap_ms) if p.cheap_ms else float("nan")
        lines.append(
            f"{p.label:<10}{p.answered / p.seconds:>11.1f}{len(p.cheap_ms):>9}{median:>11.1f}{p.p95():>9.1f}"
            f"{p.searches:>10}{p.rss_mb:>9.0f}"
        )
    quiet, loaded = phases[0], phases[1]
    lines.append(f"cheap p95 loaded ÷ quiet: {loaded.p95() / quiet.p95():.2f}x (target: at most 2x)")
    lines.append(
        f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (target: under 250 MB)"
    )
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> int:
    """Generate, register, run the quiet and the loaded phase, print."""
    async with fresh_database(args.database) as url, prepared_store(url) as store:
        await generate(store, args)
        members = await register_members(store, args.members)
        async with store.engine.connect() as conn:
            refs = list(
                (
                    await conn.execute(select(InitiativeRow.ref).order_by(InitiativeRow.id).limit(200))
                ).scalars()
            )
        warm = argparse.Namespace(**{**vars(args), "seconds": min(5.0, args.seconds)})
        await phase("warm-up", store, members[args.heavy :], 0, refs, warm)  # caches, compiled statements
        quiet = await phase("quiet", store, members[args.heavy :], 0, refs, args)
        loaded = await phase("loaded", store, members, args.heavy, refs, args)
        print(report([quiet, loaded], store.backend, args))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
