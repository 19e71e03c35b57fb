"""Latency of /search, /initiative, /country and /initiatives page 50 on a large store, beside a bare echo.

What is measured: the full in-process cost of one update through `Application.process_update` on the
REAL application (`bot.app.build_application`, in-process Bot API), for the demo "contact" member (FR)
in a private chat, on a fresh store generated big: `--initiatives` initiatives and `--updates` updates of
~75 words. "migration" is in ~80% of the updates, a few rare words in ~30 each, the phrase
"readmission agreement" in ~2%; one country (Morocco) is named by ~4% of the initiatives and reached
through its regions by more, so its profile is heavy; initiatives get updates on a Zipf curve, so one has
thousands. Rows are written with SQLAlchemy Core executemany in one transaction (the SQLite FTS5
triggers and the PostgreSQL generated tsvector columns fill the search indexes as they would in use).

Why the echo baseline: absolute timings drift between machines and runs, so the same run also measures a
bare PTB `Application` (same in-process Bot API, one `MessageHandler` replying with the text). Every
round sends one update down every path, the order rotating, so drift spreads evenly. Each reply is
checked once, outside timing; a wrong reply exits 1. No time is asserted (the issue's target is a p95
under 25 ms on SQLite; the table says which paths meet it).

    python -m bench.browse_latency [--database URL] [--initiatives N] [--updates N] [--runs R]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import datetime as dt
import gc
import itertools
import logging
import platform
import random
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Update

from bench.help_throughput import (
    TOKEN,
    AnyApplication,
    build_echo_application,
    contact_identity,
    fresh_database,
    prepared_store,
    summarise,
)
from bench.profiling import profiled
from bot.app import build_application
from bot.console.botapi import InProcessBotApi
from bot.console.updates import Identity, UpdateFactory
from bot.domain.specs import InitiativeFilter
from bot.domain.vocab import DelegationKind, InitiativeStatus, InitiativeType, Tlp, UpdateKind
from bot.services import browse
from bot.settings import load_settings
from handlers import filter_codes
from handlers.buttons import InitiativesPage
from storage.factory import Store
from storage.models import (
    CountryRow,
    DelegationRow,
    InitiativeRow,
    MemberRow,
    UpdateRow,
    initiative_countries,
    initiative_regions,
    region_countries,
    update_readers,
)

Row = dict[str, Any]
TARGET_US = 25_000
BATCH = 10_000
HEAVY = "MA"  # the country named by HEAVY_SHARE of the initiatives
HEAVY_SHARE = 0.04
COMMON, COMMON_SHARE = "migration", 0.8
RARE = ("ombudsperson", "hydrofoil", "quinquennial")
RARE_EACH = 30
PHRASE, PHRASE_SHARE = "readmission agreement", 0.02
PHRASE_HIT = "<b>readmission(</b> <b>| )agreement</b>"  # FTS5 marks the phrase, ts_headline each word
SEQUENCES = (
    "SELECT setval(pg_get_serial_sequence('initiatives', 'id'), (SELECT max(id) FROM initiatives))",
    "SELECT setval(pg_get_serial_sequence('updates', 'id'), (SELECT max(id) FROM updates))",
)
SPAN = dt.timedelta(days=3 * 365)
TLP_WEIGHTS = {Tlp.CLEAR: 8, Tlp.GREEN: 70, Tlp.AMBER: 12, Tlp.AMBER_STRICT: 5, Tlp.RED: 5}
PREFIX = {
    InitiativeType.ACTION_PLAN: "AP",
    InitiativeType.PARTNERSHIP: "PA",
    InitiativeType.DIALOGUE: "DI",
    InitiativeType.STRATEGY: "ST",
    InitiativeType.ROAD_MAP: "RM",
    InitiativeType.AGREEMENT: "AG",
    InitiativeType.FUNDING_PROGRAMME: "FP",
    InitiativeType.OTHER: "OT",
}
TOPICS = (
    "Labour Migration",
    "Return and Reintegration",
    "Border Management",
    "Asylum Capacity",
    "Anti-Smuggling",
    "Legal Pathways",
    "Diaspora Engagement",
    "Visa Facilitation",
    "Talent Mobility",
    "Migration Governance",
    "Protection of Migrants",
    "Trafficking Prevention",
    "Seasonal Work",
    "Skills Recognition",
)
WORDS = """
the of and to in a for on with by that as at from is was be are this will which it an has have were
not or their its been also more than other all two new first after between during under about into
commission council member states partner country countries delegation delegations ministry minister
meeting meetings round dialogue talks visit visits mission working party group level senior officials
return returns reintegration border borders management coast guard frontex europol agency agencies
asylum protection refugees displaced persons people nationals citizens workers students researchers
labour mobility legal pathways skills training vocational recognition diplomas employers recruitment
visa visas facilitation issuing consular procedures fees biometric data exchange information
smuggling trafficking networks criminal investigations prosecutions cooperation operational joint
team teams action plan roadmap strategy programme project projects funding budget million euro
instrument facility trust fund ndici amif support technical assistance capacity building equipment
vessels patrols surveillance search rescue sea land routes departures arrivals crossings flows
irregular regular figures statistics monitoring report reports evaluation review progress delays
implementation commitments agreed signed launched extended renewed suspended resumed postponed
conference summit ministerial declaration communique statement framework arrangement memorandum
understanding negotiations mandate proposal draft text chapter article annex clause provisions
diaspora remittances investment development jobs youth women children unaccompanied minors
health education housing integration reception centres camps shelters registration identification
documents passports travel laissez passer identification interviews hearings appeals decisions
courts judges lawyers ngos civil society organisations iom unhcr icmpd ilo undp oecd partners
government authorities local regional national municipal officials embassy embassies capital
spring summer autumn winter january february march april may june july august september october
november december week month year quarter next last previous following upcoming recent
"""
VOCABULARY = WORDS.split()


@dataclass(frozen=True)
class Reference:
    """What the seeded store already holds, as the generator needs it."""

    country_names: dict[str, str]  # third countries named by regions: code -> English name
    regions_of: dict[str, list[int]]  # country code -> ids of the regions listing it
    delegations: list[str]  # the member states
    authors: list[int]  # the demo members
    first_initiative_id: int
    first_update_id: int


@dataclass(frozen=True)
class Generated:
    """What the timed commands need to know about the generated data."""

    hot_ref: str  # the initiative with the most updates
    hot_updates: int
    heavy_initiatives: int  # initiatives naming HEAVY (its regions' come on top)
    initiatives: int
    updates: int
    readers: int
    seconds: float


@dataclass
class Path:
    """One measured path: the application, a builder of fresh updates, what its reply must show."""

    label: str
    app: AnyApplication
    api: InProcessBotApi
    make: Callable[[], Update]
    expect: Sequence[str]  # regular expressions the reply must all match
    samples: list[int] = field(default_factory=list)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.browse_latency", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database", help="postgresql:// or sqlite:// URL (default: temporary SQLite)")
    parser.add_argument("--initiatives", type=int, default=5000, help="initiatives generated (5000)")
    parser.add_argument("--updates", type=int, default=200_000, help="updates generated (200000)")
    parser.add_argument("--runs", type=int, default=200, help="timed updates per path (200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed updates per path first (20)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated data (1)")
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="PREFIX",
        help="cProfile --runs more updates of each path whose label starts with PREFIX (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.initiatives < 500 or args.updates < 2000 or args.runs < 1 or args.warmup < 0:
        parser.error(
            "need --initiatives >= 500 (page 50 must exist), --updates >= 2000, --runs >= 1, --warmup >= 0"
        )
    return args


# ---------------------------------------------------------------- generation


async def load_reference(conn: AsyncConnection) -> Reference:
    """Countries named by regions, regions by country, member states, demo members, next free ids."""
    links = (await conn.execute(select(region_countries.c.country_code, region_countries.c.region_id))).all()
    regions_of: dict[str, list[int]] = {}
    for code, region_id in links:
        regions_of.setdefault(code, []).append(region_id)
    names = await conn.execute(
        select(CountryRow.code, CountryRow.name).where(CountryRow.code.in_(regions_of))
    )
    states = select(DelegationRow.code).where(DelegationRow.kind == DelegationKind.MEMBER_STATE.value)
    return Reference(
        country_names={code: name for code, name in names},
        regions_of=regions_of,
        delegations=list(await conn.scalars(states.order_by(DelegationRow.code))),
        authors=list(await conn.scalars(select(MemberRow.id).order_by(MemberRow.id))),
        first_initiative_id=await next_id(conn, InitiativeRow.__table__),  # type: ignore[arg-type]
        first_update_id=await next_id(conn, UpdateRow.__table__),  # type: ignore[arg-type]
    )


async def next_id(conn: AsyncConnection, table: Table) -> int:
    """One past the highest id of `table`."""
    return int(await conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


def initiative_row(
    ident: int, serial: int, code: str, name: str, rng: random.Random, now: dt.datetime
) -> Row:
    """One initiative of the first country `code`; realistic title and notes, unique reference."""
    kind, year = rng.choice(list(InitiativeType)), rng.randint(2008, now.year)
    return {
        "id": ident,
        "ref": f"{PREFIX[kind]}-{code}-{year}-{serial:05d}",
        "title": f"EU-{name} {rng.choice(TOPICS)} {kind.value.replace('_', ' ').title()}",
        "type": kind.value,
        "status": rng.choice(list(InitiativeStatus)).value,
        "notes": f"Follow-up of the {year} senior officials meeting on {rng.choice(TOPICS).lower()}.",
        "year": year,
        "created_at": now - SPAN - dt.timedelta(days=rng.randint(1, 365)),
        "last_activity_at": now - SPAN,  # set from the updates once they are in
    }


def initiative_rows(
    cat: Reference, count: int, rng: random.Random, now: dt.datetime
) -> tuple[list[Row], list[Row], list[Row]]:
    """(initiatives, initiative_countries, initiative_regions) rows: 1–3 countries, 30% with a region."""
    pool = sorted(set(cat.country_names) - {HEAVY})
    rows, countries, regions = [], [], []
    for n in range(count):
        ident = cat.first_initiative_id + n
        codes = rng.sample(pool, rng.randint(1, 3))
        if rng.random() < HEAVY_SHARE:
            codes[0] = HEAVY
        rows.append(initiative_row(ident, n + 1, codes[0], cat.country_names[codes[0]], rng, now))
        countries += [{"initiative_id": ident, "country_code": code} for code in codes]
        if rng.random() < 0.3:
            regions.append({"initiative_id": ident, "region_id": rng.choice(cat.regions_of[codes[0]])})
    return rows, countries, regions


def texts(count: int, rng: random.Random) -> list[str]:
    """~75-word update texts over a Zipf-weighted vocabulary, with the common, rare and phrase words."""
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(VOCABULARY))))
    fragments = [" ".join(rng.choices(VOCABULARY, cum_weights=weights, k=15)) for _ in range(4096)]
    rare = {index: word for word in RARE for index in rng.sample(range(count), RARE_EACH)}
    result = []
    for index in range(count):
        parts = rng.choices(fragments, k=5)
        if rng.random() < COMMON_SHARE:
            parts.insert(rng.randint(0, 5), COMMON)
        if rng.random() < PHRASE_SHARE:
            parts.insert(rng.randint(0, len(parts)), PHRASE)
        if index in rare:
            parts.insert(rng.randint(0, len(parts)), rare[index])
        result.append(" ".join(parts) + ".")
    return result


def update_batches(
    cat: Reference, initiative_ids: Sequence[int], count: int, rng: random.Random, now: dt.datetime
) -> Iterator[tuple[list[Row], list[Row]]]:
    """(updates, update_readers) rows in batches; ids and created_at rise together; Zipf over initiatives."""
    zipf = list(itertools.accumulate(1 / (rank + 1) ** 0.6 for rank in range(len(initiative_ids))))
    labels, tlp_weights = [t.value for t in TLP_WEIGHTS], list(itertools.accumulate(TLP_WEIGHTS.values()))
    seconds = sorted(rng.uniform(0, SPAN.total_seconds()) for _ in range(count))
    bodies = texts(count, rng)
    for start in range(0, count, BATCH):
        rows = [
            {
                "id": cat.first_update_id + n,
                "initiative_id": initiative_ids[bisect.bisect(zipf, rng.random() * zipf[-1])],
                "kind": rng.choice(list(UpdateKind)).value,
                "text": bodies[n],
                "tlp": rng.choices(labels, cum_weights=tlp_weights)[0],
                "author_id": rng.choice(cat.authors),
                "delegation_code": rng.choice(cat.delegations),
                "created_at": now - SPAN + dt.timedelta(seconds=seconds[n]),
                "edited_at": None,
                "withdrawn_at": now if rng.random() < 0.01 else None,
            }
            for n in range(start, min(start + BATCH, count))
        ]
        red = [row["id"] for row in rows if row["tlp"] == Tlp.RED.value]
        yield (
            rows,
            [{"update_id": i, "delegation_code": c} for i in red for c in rng.sample(cat.delegations, 3)],
        )


async def insert_all(conn: AsyncConnection, table: Any, rows: Sequence[Row]) -> None:
    """executemany in batches of BATCH rows."""
    for start in range(0, len(rows), BATCH):
        await conn.execute(insert(table), list(rows[start : start + BATCH]))


async def generate(store: Store, args: argparse.Namespace) -> Generated:
    """Fill the store in one transaction; the initiatives' last activity is their newest update's."""
    rng, now, started = random.Random(args.seed), dt.datetime.now(dt.UTC), time.perf_counter()
    async with store.engine.begin() as conn:
        cat = await load_reference(conn)
        initiatives, countries, regions = initiative_rows(cat, args.initiatives, rng, now)
        for table, rows in ((InitiativeRow, initiatives), (initiative_countries, countries)):
            await insert_all(conn, table, rows)
        await insert_all(conn, initiative_regions, regions)
        ids = [row["id"] for row in initiatives]
        rng.shuffle(ids)  # ids[0] gets the most updates
        readers = 0
        for rows, links in update_batches(cat, ids, args.updates, rng, now):
            await insert_all(conn, UpdateRow, rows)
            await insert_all(conn, update_readers, links)
            readers += len(links)
        await finish(conn, cat.first_initiative_id)
        hot = await hottest(conn, ids[0])
    seconds = time.perf_counter() - started
    return Generated(*hot, len(initiatives), args.updates, readers, seconds)


async def hottest(conn: AsyncConnection, initiative_id: int) -> tuple[str, int, int]:
    """The reference and update count of the busiest initiative; how many initiatives name HEAVY."""
    ref = await conn.scalar(select(InitiativeRow.ref).where(InitiativeRow.id == initiative_id))
    count = select(func.count()).select_from(UpdateRow).where(UpdateRow.initiative_id == initiative_id)
    heavy = select(func.count()).where(initiative_countries.c.country_code == HEAVY)
    return str(ref), int(await conn.scalar(count) or 0), int(await conn.scalar(heavy) or 0)


async def finish(conn: AsyncConnection, first_initiative_id: int) -> None:
    """Last activity from the updates; PostgreSQL sequences past the explicit ids; fresh statistics."""
    newest = (
        select(func.max(UpdateRow.created_at))
        .where(UpdateRow.initiative_id == InitiativeRow.id)
        .scalar_subquery()
    )
    await conn.execute(
        update(InitiativeRow)
        .where(InitiativeRow.id >= first_initiative_id)
        .values(last_activity_at=func.coalesce(newest, InitiativeRow.created_at))
    )
    if conn.dialect.name == "postgresql":
        for statement in SEQUENCES:
            await conn.execute(text(statement))
    await conn.execute(text("ANALYZE"))


# ---------------------------------------------------------------- measurement


def reply_text(api: InProcessBotApi) -> str:
    """The text of the bot's last message sent or edited."""
    answers = [c for c in api.calls if c.method in ("sendMessage", "editMessageText")]
    return str(answers[-1].params.get("text", "")) if answers else ""


async def page_fifty(
    app: AnyApplication, api: InProcessBotApi, who: Identity, store: Store
) -> Callable[[], Update]:
    """Send /initiatives once; a builder of presses of its ▶ button data for page 50."""
    factory = UpdateFactory(app.bot, start=900_000)
    await app.process_update(factory.message(who, "/initiatives"))
    message = api.sent("sendMessage", chat_id=who.chat["id"])[-1].result
    code = filter_codes.encode(InitiativeFilter(), await browse.regions(store.uow))
    data = InitiativesPage(49, code).data
    return lambda: factory.callback(who, message, data)


async def build_paths(
    emwp: tuple[AnyApplication, InProcessBotApi],
    echo: tuple[AnyApplication, InProcessBotApi],
    store: Store,
    hot_ref: str,
) -> list[Path]:
    """The echo baseline, then every browsing path of the issue."""
    who = contact_identity()
    app, api = emwp
    factory, echo_factory = UpdateFactory(app.bot), UpdateFactory(echo[0].bot)
    updates = r"[1-9][\d,]*\+? updates?"

    def command(label: str, typed: str, *expect: str) -> Path:
        return Path(label, app, api, lambda: factory.message(who, typed), expect)

    return [
        Path("bare PTB echo", *echo, lambda: echo_factory.message(who, "/search migration"), ["^/search"]),
        command(f"/search {COMMON} (common)", f"/search {COMMON}", updates, f"<b>{COMMON}</b>"),
        command(f"/search {RARE[0]} (rare)", f"/search {RARE[0]}", updates, f"<b>{RARE[0]}</b>"),
        command(f'/search "{PHRASE}"', f'/search "{PHRASE}"', updates, PHRASE_HIT),
        command(f"/initiative {hot_ref}", f"/initiative {hot_ref}", hot_ref, r"Updates</b> 1–5 of \d"),
        command("/country Morocco", "/country Morocco", r"<b>Morocco</b> \(MA\)", r"Initiatives</b> \(\d+\)"),
        command("/country Morroco (fuzzy)", "/country Morroco", r"<b>Morocco</b> \(MA\)"),
        Path("/initiatives page 50 (▶)", app, api, await page_fifty(app, api, who, store), ["page 50 of"]),
    ]


async def check(paths: Sequence[Path]) -> list[str]:
    """Run each path once, outside timing; the first line of each reply, or raise on a wrong one."""
    firsts = []
    for path in paths:
        await path.app.process_update(path.make())
        reply = reply_text(path.api)
        missing = [pattern for pattern in path.expect if not re.search(pattern, reply)]
        if missing:
            raise SystemExit(f"{path.label}: reply does not match {missing}: {reply[:600]!r}")
        firsts.append(f"  {path.label:<34} {re.sub(r'<[^>]+>', '', reply.splitlines()[0])[:110]}")
    return firsts


async def measure(paths: Sequence[Path], runs: int, warmup: int) -> None:
    """Warm up, then `runs` rounds of one update per path, the starting path rotating each round."""
    for path in paths:
        for update_ in [path.make() for _ in range(warmup)]:
            await path.app.process_update(update_)
    prepared = {id(path): [path.make() for _ in range(runs)] for path in paths}
    gc.collect()
    for index in range(runs):
        shift = index % len(paths)
        for path in [*paths[shift:], *paths[:shift]]:
            update_ = prepared[id(path)][index]
            before = time.perf_counter_ns()
            await path.app.process_update(update_)
            path.samples.append(time.perf_counter_ns() - before)


def report(paths: Sequence[Path], store: Store, data: Generated, args: argparse.Namespace) -> str:
    """Versions, data, and the aligned table."""
    backend = store.backend
    driver = "aiosqlite" if backend == "sqlite" else "asyncpg"
    engine = f", SQLite {sqlite3.sqlite_version}" if backend == "sqlite" else ""
    echo = summarise(paths[0].samples, sum(paths[0].samples))
    lines = [
        f"Python {platform.python_version()}, python-telegram-bot {version('python-telegram-bot')}, "
        f"SQLAlchemy {version('SQLAlchemy')}, database {backend} ({driver} {version(driver)}{engine})",
        f"{data.initiatives:,} initiatives, {data.updates:,} updates, {data.readers:,} RED readers "
        f"generated in {data.seconds:.1f} s; {data.hot_ref} has {data.hot_updates:,} updates, "
        f"{data.heavy_initiatives} initiatives name {HEAVY}",
        f"{args.runs} timed updates per path (one per path a round, order rotating), {args.warmup} warm-up",
        "",
        f"{'path':<34}{'median µs':>12}{'p95 µs':>12}{'÷ echo':>10}{'p95 < 25 ms':>13}",
    ]
    for path in paths:
        stats = summarise(path.samples, sum(path.samples))
        ok = "yes" if stats.p95_us < TARGET_US else "NO"
        lines.append(
            f"{path.label:<34}{stats.median_us:>12,.0f}{stats.p95_us:>12,.0f}"
            f"{stats.median_us / echo.median_us:>9.1f}x{ok:>13}"
        )
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> int:
    """Generate the store, build both applications, check every reply once, measure, print."""
    async with fresh_database(args.database) as url, prepared_store(url) as store:
        data = await generate(store, args)
        emwp_api, echo_api = InProcessBotApi(), InProcessBotApi()
        # Latency, not the abuse limits: budgets that never run out for the one member measured.
        settings = load_settings(expensive_burst=100_000, expensive_per_minute=10_000)
        emwp_app = build_application(settings, store, request=emwp_api, token=TOKEN)
        echo_app = build_echo_application(echo_api)
        async with emwp_app, echo_app:
            paths = await build_paths((emwp_app, emwp_api), (echo_app, echo_api), store, data.hot_ref)
            firsts = await check(paths)
            await measure(paths, args.runs, args.warmup)
            profiles = [
                await profiled(path.app, [path.make() for _ in range(args.runs)], path.label)
                for path in paths
                if any(path.label.startswith(prefix) for prefix in args.profile)
            ]
        print(report(paths, store, data, args))
        print("\nfirst line of each reply:\n" + "\n".join(firsts))
        for text_ in profiles:
            print("\n" + text_)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: quiet logging, run the benchmark, return the exit code."""
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
