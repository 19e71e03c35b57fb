"""Delivery engine against a server that enforces Telegram's flood limits, beside PTB's stock limiter.

What is measured: one notice (a ~600-character HTML text) to each of N distinct private chats, written
to the outbox of a fresh store in ONE transaction through `bot.services.outbox.enqueue` (timed), then
sent by the REAL `engines.sender.Sender` (`drain()`, repeated until no row is queued: a row answered
429 goes back with a later `not_before`) through a real `telegram.Bot` to `tests.fakes.FakeTelegram`
on loopback, which enforces 30 msg/s overall and 1/s per chat (`--scale` multiplies every rate).

Reported per sender, from the fake's ledger of delivered sends: wall time from the first send to the
last delivery, messages/s and its share of the limit, 429s, duplicates, recipients never reached
(and outbox rows not `sent`), where the time beyond the ideal N ÷ limit went (to the first delivery;
in gaps longer than three slots), peak traced memory while sending, the process's max RSS, and client
CPU per message (process CPU minus the fake's server thread). With `--peer`, PTB's `AIORateLimiter`
(`max_retries=3`) sends the same N messages through `asyncio.gather` to a fresh fake: the reference
in the shared PERFORMANCE.md. Each sender runs in its own fresh process, so RSS and CPU are its own.

    python -m bench.delivery [--recipients N] [--scale S] [--database URL] [--peer] [--pool P]
                             [--no-tracemalloc]

Without --database a SQLite file in a temporary folder is used; with a postgresql:// URL a temporary
database is created on that server and dropped at the end. Exit status 1 if the engine lost or
duplicated a message. tracemalloc slows Python by tens of percent: use --no-tracemalloc for CPU figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import itertools
import logging
import multiprocessing
import os
import platform
import resource
import time
import tracemalloc
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version

from sqlalchemy import insert, select, update
from telegram import Bot
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bench.help_throughput import fresh_database
from bot.clock import SystemClock
from bot.domain.outbox import OutboxKind, OutboxStatus, Outgoing, Queued
from bot.domain.rate import Limits
from bot.services.outbox import engine_state, enqueue
from bot.services.read_check import verdicts
from engines.sender import Sender, SenderConfig
from storage.factory import Store, open_store
from storage.models import DelegationRow, MemberRow, OutboxRow
from storage.outbox import CLAIMED, queued_of
from tests.fakes.telegram_limits import FakeTelegram
from tests.fakes.telegram_limits import Limits as ServerLimits

# Not a secret: the fake accepts any token.
TOKEN = "7000000001:bench"  # noqa: S105
FIRST_CHAT = 100_000_000
# asyncpg takes at most 32,767 parameters a statement and the outbox insert binds 15 a row: a single
# enqueue() of more than 2,184 messages fails on PostgreSQL, so the one transaction gets several calls.
ENQUEUE_CHUNK = 2000
NOTICE = (
    "<b>Notice: plenary moved to Thursday 12 June, 14:00 CET</b>\n\n"
    "Dear member of the <i>European Migration Working Party</i>,\n\n"
    "the plenary planned for Wednesday has moved to <b>Thursday 12 June at 14:00 CET</b> "
    "(room JAN 4Q2 and online). The agenda is unchanged: the progress report and the exchange of "
    "views on the <i>pact implementation plans</i>. "
    'Documents are in the <a href="https://example.org/emwp/plenary/2025-06">meeting folder</a>; '
    "delegations wishing to speak are asked to register by Wednesday 17:00 CET.\n\n"
    "Reply <code>/upcoming</code> to see every meeting in your time zone, or "
    "<code>/settings</code> to change which notices you receive.\n\n"
    "— EMWP secretariat"
)
MB = 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    """What one sender achieved, from the fake's ledger and the process's own counters."""

    label: str
    limit: float  # messages per second the server allows overall
    recipients: int
    delivered: int
    lost: int  # recipients with no delivery
    duplicates: int
    rejected: int  # sends answered 429
    wall: float  # first send → last delivery, seconds
    startup: float  # first send → first delivery
    stalled: float  # seconds in gaps between deliveries longer than three slots
    longest_gap: float
    max_in_window: int  # most deliveries within any one overall window of the server
    traced_peak_mb: float | None
    max_rss_mb: float
    cpu_ms: float  # client CPU per delivered message
    enqueue_s: float | None = None
    not_sent: dict[str, int] | None = None  # outbox rows by status other than `sent` (engine)
    raised: int | None = None  # exceptions the caller saw (peer)
    check_ms: float | None = None  # CPU of the read rules' check right before each send (engine)

    @property
    def rate(self) -> float:
        """Delivered messages per second of wall time."""
        return self.delivered / self.wall if self.wall > 0 else 0.0


@dataclass(frozen=True)
class Start:
    """Clocks read just before the first send."""

    at: float
    cpu: float
    server_cpu: float

    @classmethod
    def now(cls, fake: FakeTelegram) -> Start:
        """Read them; reset the traced peak so it covers sending only."""
        if tracemalloc.is_tracing():
            tracemalloc.reset_peak()
        return cls(time.monotonic(), time.process_time(), fake.cpu_seconds())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000, help="private chats (default 10000)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every rate limit (default 1)")
    parser.add_argument("--database", help="postgresql:// or sqlite:// URL (default: temporary SQLite)")
    parser.add_argument("--peer", action="store_true", help="also run PTB's AIORateLimiter(max_retries=3)")
    parser.add_argument("--pool", type=int, default=16, help="HTTP connections per bot (default 16)")
    parser.add_argument("--no-tracemalloc", dest="trace", action="store_false", help="leave tracemalloc off")
    args = parser.parse_args(argv)
    if args.recipients < 1 or args.scale <= 0 or args.pool < 1:
        parser.error("--recipients, --scale and --pool must be positive")
    return args


def chat_ids(count: int) -> list[int]:
    """Distinct private chats."""
    return list(range(FIRST_CHAT, FIRST_CHAT + count))


def new_request(pool: int) -> HTTPXRequest:
    """PTB's HTTP client with `pool` keep-alive connections."""
    return HTTPXRequest(connection_pool_size=pool)


def server_for(scale: float) -> FakeTelegram:
    """A fresh fake enforcing Telegram's limits, `scale` times faster."""
    return FakeTelegram(ServerLimits(scale=scale))


async def register_members(store: Store, chats: Sequence[int]) -> dict[int, int]:
    """A member for each chat (the read rules at send time look each recipient up): chat → member id."""
    now = SystemClock().now()
    async with store.engine.begin() as connection:
        await connection.execute(
            insert(DelegationRow).values(code="BENCH", name="Bench delegation", kind="member_state")
        )
        rows = [
            {
                "telegram_user_id": c,
                "chat_id": c,
                "display_name": f"Member {c}",
                "delegation_code": "BENCH",
                "role": "contact",
                "status": "active",
                "language": "en",
                "time_zone": "Europe/Brussels",
                "reachable": True,
                "created_at": now,
                "updated_at": now,
            }
            for c in chats
        ]
        for first in range(0, len(rows), ENQUEUE_CHUNK):
            await connection.execute(insert(MemberRow), rows[first : first + ENQUEUE_CHUNK])
        found = await connection.execute(select(MemberRow.telegram_user_id, MemberRow.id))
        return {int(chat): int(ident) for chat, ident in found}


async def enqueue_all(store: Store, chats: Sequence[int], members: dict[int, int]) -> float:
    """One notice per chat (to a member, checked at send time), written in one transaction; seconds."""
    clock = SystemClock()
    messages = [
        Outgoing(
            chat_id=c,
            kind=OutboxKind.NOTICE,
            dedupe_key=f"bench:{c}",
            parts=(NOTICE,),
            job="bench",
            member_id=members[c],
        )
        for c in chats
    ]
    started = time.perf_counter()
    async with store.uow() as uow:
        now = clock.now()
        for first in range(0, len(messages), ENQUEUE_CHUNK):
            await enqueue(uow, messages[first : first + ENQUEUE_CHUNK], now)
        await uow.commit()
    return time.perf_counter() - started


async def send_everything(sender: Sender, store: Store) -> None:
    """Drain until no row is queued: drain() returns while rows put back after a 429 are not yet due."""
    clock = SystemClock()
    while True:
        await sender.drain()
        async with store.uow() as uow:
            due = await uow.outbox.next_due()
        if due is None:
            return
        await asyncio.sleep(max(0.0, (due - clock.now()).total_seconds()))


def gaps(times: Sequence[float], slot: float) -> tuple[float, float]:
    """Seconds spent in gaps longer than three slots, and the longest gap."""
    steps = [b - a for a, b in itertools.pairwise(times)]
    return sum(s for s in steps if s > 3 * slot), max(steps, default=0.0)


def tally(label: str, fake: FakeTelegram, chats: Sequence[int], start: Start) -> Outcome:
    """Read the fake's ledger and the process's counters into an Outcome."""
    cpu = time.process_time() - start.cpu - (fake.cpu_seconds() - start.server_cpu)
    deliveries = fake.deliveries
    times = [d.at for d in deliveries]
    limits = fake.limits
    stalled, longest = gaps(times, limits.overall_window / limits.overall_per_second)
    peak = tracemalloc.get_traced_memory()[1] / MB if tracemalloc.is_tracing() else None
    return Outcome(
        label=label,
        limit=limits.overall_per_second * limits.scale,
        recipients=len(chats),
        delivered=len(deliveries),
        lost=len(set(chats) - {d.chat_id for d in deliveries}),
        duplicates=sum(n - 1 for n in fake.duplicates().values()),
        rejected=fake.counters.rejected_429,
        wall=(times[-1] - start.at) if times else 0.0,
        startup=(times[0] - start.at) if times else 0.0,
        stalled=stalled,
        longest_gap=longest,
        max_in_window=fake.max_rate_in_window(limits.overall_window),
        traced_peak_mb=peak,
        max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        cpu_ms=1000 * cpu / max(1, len(deliveries)),
    )


async def check_cpu(store: Store, sample: int = 400) -> float:
    """CPU milliseconds the read rules add to one send, measured after sending with nothing else running
    (so no other task's or thread's CPU counts): the batch check made at claim time, per row, plus what
    requiring an unmoved read epoch adds to the statement that marks a part in flight."""
    async with store.engine.begin() as connection:
        found = await connection.execute(
            select(*CLAIMED, OutboxRow.status).order_by(OutboxRow.id).limit(sample)
        )
        taken = list(found)
        rows = [queued_of(r) for r in taken]
        probe = update(OutboxRow).where(OutboxRow.id.in_([r.id for r in rows]))
        await connection.execute(probe.values(status="sending", claimed_by="probe"))
    if not rows:
        return 0.0
    try:
        return await _check_cpu(store, rows)
    finally:  # the rows as they were, for whatever reads the outbox next (/notices)
        async with store.engine.begin() as connection:
            for status in {r.status for r in taken}:
                ids = [r.id for r in taken if r.status == status]
                await connection.execute(
                    update(OutboxRow).where(OutboxRow.id.in_(ids)).values(status=status, claimed_by=None)
                )


async def _check_cpu(store: Store, rows: list[Queued]) -> float:
    """The measurement itself, on rows marked as this probe's."""
    now, lease = SystemClock().now(), dt.timedelta(seconds=60)

    async def batch() -> float:
        started = time.process_time()
        for first in range(0, len(rows), 200):
            async with store.uow() as uow:
                await uow.outbox.epoch()
                await verdicts(uow, rows[first : first + 200])
        return time.process_time() - started

    async def begins(epoch: int | None) -> float:
        started = time.process_time()
        for row in rows:
            async with store.uow() as uow:  # rolled back: the rows stay as they are
                await uow.outbox.begin_part(row.id, "probe", now, lease, epoch)
        return time.process_time() - started

    async with store.uow() as uow:
        epoch = await uow.outbox.epoch()
    await begins(epoch)  # warm the caches and the connection pool
    checked = min([await begins(epoch) for _ in range(3)])
    plain = min([await begins(None) for _ in range(3)])
    claimed = min([await batch() for _ in range(3)])
    return 1000 * (max(0.0, checked - plain) + claimed) / len(rows)


async def not_sent(store: Store) -> dict[str, int]:
    """Outbox rows whose status is anything but `sent`, by status."""
    state = await engine_state(store.uow, None)
    return {status: n for status, n in state.by_status.items() if n and status != OutboxStatus.SENT.value}


def statuses(counts: dict[str, int] | None) -> str:
    """`0`, or the total and each status, e.g. `2 (sending 1, queued 1)`."""
    if counts is None:
        return "–"
    detail = ", ".join(f"{status} {n:,}" for status, n in sorted(counts.items()))
    return f"{sum(counts.values()):,} ({detail})" if counts else "0"


async def engine_sends(store: Store, chats: Sequence[int], args: argparse.Namespace) -> Outcome:
    """The real Sender, at `Limits().scaled(scale)`, until nothing is queued."""
    with server_for(args.scale) as fake:
        bot = Bot(TOKEN, base_url=fake.base_url, request=new_request(args.pool))
        config = SenderConfig(limits=Limits().scaled(args.scale))
        async with bot:
            sender = Sender(bot, store.uow, SystemClock(), config, worker_id="bench")
            start = Start.now(fake)
            await send_everything(sender, store)
        return tally("emwp Sender", fake, chats, start)


async def engine_run(args: argparse.Namespace) -> Outcome:
    """A fresh store, the timed enqueue, the send, and what the outbox says afterwards."""
    chats = chat_ids(args.recipients)
    async with fresh_database(args.database) as url:
        store = open_store(url)
        try:
            await store.upgrade()
            members = await register_members(store, chats)
            enqueue_seconds = await enqueue_all(store, chats, members)
            outcome = await engine_sends(store, chats, args)
            unsent = await not_sent(store)
            check = await check_cpu(store)
            label = f"emwp Sender ({store.backend})"
        finally:
            await store.dispose()
    return Outcome(
        **{
            **vars(outcome),
            "label": label,
            "enqueue_s": enqueue_seconds,
            "not_sent": unsent,
            "check_ms": check,
        }
    )


async def peer_run(args: argparse.Namespace) -> Outcome:
    """PTB's stock limiter: every message at once through asyncio.gather, three retries after a 429."""
    chats = chat_ids(args.recipients)
    limiter = AIORateLimiter(
        overall_time_period=1 / args.scale, group_time_period=60 / args.scale, max_retries=3
    )
    with server_for(args.scale) as fake:
        bot = ExtBot(TOKEN, base_url=fake.base_url, request=new_request(args.pool), rate_limiter=limiter)
        async with bot:
            start = Start.now(fake)
            sends = (
                bot.send_message(c, NOTICE, parse_mode=ParseMode.HTML, disable_web_page_preview=True)
                for c in chats
            )
            results = await asyncio.gather(*sends, return_exceptions=True)
        outcome = tally("AIORateLimiter(max_retries=3)", fake, chats, start)
    return Outcome(**{**vars(outcome), "raised": sum(isinstance(r, BaseException) for r in results)})


def run_contender(kind: str, args: argparse.Namespace) -> Outcome:
    """Entry point of a child process: run one sender."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("engines.sender").setLevel(logging.ERROR)  # 429s are counted, not logged
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    if args.trace:
        tracemalloc.start()
    return asyncio.run(engine_run(args) if kind == "engine" else peer_run(args))


def in_child(kind: str, args: argparse.Namespace) -> Outcome:
    """Run one sender in a fresh process, so memory and CPU figures are its own."""
    from bench import delivery  # by its importable name: `python -m` runs this file as __main__

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(delivery.run_contender, kind, args).result()


def fmt(value: float | None, spec: str) -> str:
    """A figure, or a dash where it does not apply."""
    return "–" if value is None else format(value, spec)


def rows(o: Outcome) -> list[tuple[str, str]]:
    """The table's rows for one sender."""
    ideal = o.recipients / o.limit
    return [
        ("enqueue, one transaction (s)", fmt(o.enqueue_s, ".2f")),
        ("wall: first send → last delivery (s)", f"{o.wall:.2f}"),
        ("  beyond the ideal N ÷ limit (s)", f"{o.wall - ideal:+.2f}"),
        ("  first send → first delivery (s)", f"{o.startup:.3f}"),
        ("  in gaps > 3 slots (s)", f"{o.stalled:.2f}"),
        ("  longest gap between deliveries (s)", f"{o.longest_gap:.3f}"),
        ("delivered", f"{o.delivered:,} of {o.recipients:,}"),
        ("messages/s", f"{o.rate:.2f}"),
        ("share of the limit", f"{o.rate / o.limit:.3f}"),
        ("most in one server window", f"{o.max_in_window}"),
        ("429s", f"{o.rejected:,}"),
        ("duplicates", f"{o.duplicates:,}"),
        ("lost (no delivery)", f"{o.lost:,}"),
        ("outbox rows not sent", statuses(o.not_sent)),
        ("errors raised to the caller", fmt(o.raised, ",")),
        ("traced peak while sending (MB)", fmt(o.traced_peak_mb, ".1f")),
        ("max RSS of the process (MB)", f"{o.max_rss_mb:.1f}"),
        ("client CPU per message (ms)", f"{o.cpu_ms:.2f}"),
        ("  the send-time read check, alone (ms)", fmt(o.check_ms, ".3f")),
        ("  the check's share of the CPU", fmt(o.check_ms / o.cpu_ms if o.check_ms else None, ".1%")),
    ]


def report(outcomes: Sequence[Outcome], args: argparse.Namespace) -> str:
    """The aligned plain-text table, senders side by side."""
    limit = outcomes[0].limit
    peer = f", aiolimiter {version('aiolimiter')}" if args.peer and len(outcomes) > 1 else ""
    lines = [
        f"Python {platform.python_version()}, python-telegram-bot {version('python-telegram-bot')}, "
        f"httpx {version('httpx')}, SQLAlchemy {version('SQLAlchemy')}{peer}",
        f"{args.recipients:,} private chats, limit {limit:g} msg/s (scale {args.scale:g}), "
        f"ideal {args.recipients / limit:.2f} s, {args.pool} connections, "
        f"tracemalloc {'on' if args.trace else 'off'}; load average {os.getloadavg()[0]:.2f} on "
        f"{os.cpu_count()} CPUs at the end",
        "",
    ]
    table = [rows(o) for o in outcomes]
    width = max(len(name) for name, _ in table[0]) + 2
    columns = [max(len(o.label), *(len(v) for _, v in t)) + 3 for o, t in zip(outcomes, table, strict=True)]
    lines.append(" " * width + "".join(o.label.rjust(c) for o, c in zip(outcomes, columns, strict=True)))
    for index, (name, _) in enumerate(table[0]):
        cells = "".join(t[index][1].rjust(c) for t, c in zip(table, columns, strict=True))
        lines.append(name.ljust(width) + cells)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the engine (and the peer), print the table, fail on a lost or doubled message."""
    args = parse_args(argv)
    outcomes = [in_child("engine", args)]
    if args.peer and importlib.util.find_spec("aiolimiter") is None:
        print("--peer skipped: aiolimiter is not installed (pip install 'python-telegram-bot[rate-limiter]')")
    elif args.peer:
        outcomes.append(in_child("peer", args))
    print(report(outcomes, args))
    engine = outcomes[0]
    return 1 if engine.lost or engine.duplicates or engine.not_sent else 0


if __name__ == "__main__":
    raise SystemExit(main())
