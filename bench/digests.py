"""Composing a week's digests for 10,000 subscribers at once: time, SQL statements, memory.

What is measured: `bot.services.digests.send_due` (compose, render with the real `DigestRenderer`,
record the run, enqueue one outbox row per digest, advance the subscription: one unit of work) at one
due time, on a fresh, migrated, seeded store generated with SQLAlchemy Core executemany in one
transaction: `--subscribers` members over the 36 delegations (mostly contacts), each with one weekly
subscription due on the same Monday 08:00 Brussels (local time in the member's zone, last period
NULL: the first digest covers the 7 days before), mixed scopes (~30% everything, 1–3 regions,
countries, types, a few single initiatives), ~500 extra initiatives, and `--updates` updates spread over
those 7 days (TLP CLEAR/GREEN/AMBER/AMBER+STRICT/RED with readers, log-normal text lengths).

Every size (1,000, 5,000 and `--subscribers` due subscriptions; smaller ones via `only=`) is measured
three ways, each from the same state (the outbox, digest runs and due times are reset in between):
`compose()` alone in a unit of work (its queries; three calls a run, the median is reported), the
rendering of every composed digest alone (pure CPU), and the whole `send_due`. SQL statements are
counted with a `before_cursor_execute` listener on the engine (an executemany counts once). Peak memory
is traced (tracemalloc) in a separate run of the full `send_due`, since tracing slows Python; max RSS
is the process's. No time is asserted (the issue's target is all digests composed in under 10 s on
SQLite). The outcome of the first full run is checked once, outside timing, and a wrong one exits 1:
one outbox row per sent digest and one digest run per subscription, every part ≤ 4096 characters,
observers' digests without TLP:AMBER and exactly what the TLP table lets them read, an "everything"
admin digest holding every live update of the week.

    python -m bench.digests [--subscribers N] [--updates N] [--initiatives N] [--database URL]
                            [--runs R] [--seed S] [--profile] [--no-tracemalloc]

Without --database a SQLite file in a temporary folder is used; with a postgresql:// URL a temporary
database is created on that server and dropped at the end. A sqlite:// URL is used as given.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import cProfile
import datetime as dt
import gc
import itertools
import logging
import os
import platform
import pstats
import random
import re
import resource
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, event, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bench.help_throughput import fresh_database
from bot.commands.common import prepare_store
from bot.domain.digests import Digest, DueDigest, Frequency, Scope, period_of
from bot.domain.vocab import DelegationKind, InitiativeStatus, InitiativeType, Role, Tlp, UpdateKind
from bot.ports import UnitOfWork
from bot.services.catalog import place_names
from bot.services.digest_compose import compose
from bot.services.digests import Sweep, send_due
from handlers.digest_render import MAX_PARTS, SHOWN, DigestRenderer
from storage.digests import scope_json
from storage.factory import Store, open_store
from storage.models import (
    AuditRow,
    DelegationRow,
    DigestRunRow,
    EventRow,
    InitiativeRow,
    MemberRow,
    OutboxRow,
    RegionRow,
    SubscriptionRow,
    UpdateRow,
    initiative_countries,
    initiative_regions,
    region_countries,
    update_readers,
)

Row = dict[str, Any]
MB = 1024 * 1024
LIMIT = 4096
TARGET_S = 10.0
COMPOSE_REPEAT = 3
BATCH = 5000
BRUSSELS = "Europe/Brussels"
# A Monday far from a daylight-saving change: every digest covers 9–16 June 2025.
DUE = dt.datetime(2025, 6, 16, 8, 0, tzinfo=ZoneInfo(BRUSSELS)).astimezone(dt.UTC)
WEEK = dt.timedelta(days=7)
MARK = re.compile(r"\[#(\d+)\]")  # every update's text starts with its id, to find it in a digest
HEADLINE = re.compile(r"<b>([\d,]+) updates?</b> on ([\d,]+) initiatives?")
MORE = re.compile(r"\n\+\d+ more · /initiative ")
CLOSING = re.compile(r"… and ([\d,]+) more initiatives?")

TLP_WEIGHTS = {Tlp.CLEAR: 10, Tlp.GREEN: 60, Tlp.AMBER: 15, Tlp.AMBER_STRICT: 8, Tlp.RED: 7}
ROLE_WEIGHTS = {Role.CONTACT: 80, Role.OBSERVER: 17, Role.ADMIN: 3}
KIND_WEIGHTS = {DelegationKind.MEMBER_STATE: 6, DelegationKind.INSTITUTION: 4, DelegationKind.OBSERVER: 1}
# Share of subscriptions by kind of scope; the rest are single (or two) initiatives.
SCOPE_SHARES = (
    ("everything", 0.30),
    ("regions", 0.35),
    ("countries", 0.17),
    ("types", 0.08),
    ("mixed", 0.05),
)
CAPITALS = {
    "AT": "Europe/Vienna", "BE": "Europe/Brussels", "BG": "Europe/Sofia", "CY": "Asia/Nicosia",
    "CZ": "Europe/Prague", "DE": "Europe/Berlin", "DK": "Europe/Copenhagen", "EE": "Europe/Tallinn",
    "EL": "Europe/Athens", "ES": "Europe/Madrid", "FI": "Europe/Helsinki", "FR": "Europe/Paris",
    "HR": "Europe/Zagreb", "HU": "Europe/Budapest", "IE": "Europe/Dublin", "IT": "Europe/Rome",
    "LT": "Europe/Vilnius", "LU": "Europe/Luxembourg", "LV": "Europe/Riga", "MT": "Europe/Malta",
    "NL": "Europe/Amsterdam", "PL": "Europe/Warsaw", "PT": "Europe/Lisbon", "RO": "Europe/Bucharest",
    "SE": "Europe/Stockholm", "SI": "Europe/Ljubljana", "SK": "Europe/Bratislava",
}  # fmt: skip
FRENCH = {"FR", "BE", "LU"}
SEQUENCES = ("members", "initiatives", "updates", "subscriptions")
PROSE = """
the of and to in for on with by that as at from is was be are this will which has have were not their
commission council member states partner country delegation ministry minister meeting round dialogue
talks visit mission working party senior officials return reintegration border management coast guard
frontex agency asylum protection refugees displaced persons nationals workers students labour mobility
legal pathways skills training recognition employers recruitment visa facilitation consular procedures
biometric data exchange smuggling trafficking networks investigations cooperation operational joint team
action plan roadmap strategy programme project funding budget million euro instrument facility support
technical assistance capacity building equipment vessels patrols surveillance search rescue routes
departures arrivals crossings irregular figures monitoring report evaluation progress delays commitments
agreed signed launched extended renewed suspended postponed conference summit declaration framework
arrangement memorandum negotiations mandate proposal draft annex diaspora remittances investment
development jobs youth women children unaccompanied minors reception centres registration documents
passports travel interviews appeals decisions courts ngos civil society iom unhcr icmpd ilo partners
government authorities embassy capital week month quarter next last previous following upcoming recent
"""
WORDS = PROSE.split()
TOPICS = (
    "Labour Migration", "Return and Reintegration", "Border Management", "Asylum Capacity",
    "Anti-Smuggling", "Legal Pathways", "Diaspora Engagement", "Visa Facilitation", "Talent Mobility",
)  # fmt: skip


# ---------------------------------------------------------------- generation


@dataclass(frozen=True)
class Posted:
    """What the checks need to know of one generated update."""

    tlp: Tlp
    delegation: str
    readers: frozenset[str]
    live: bool  # not withdrawn
    initiative: int
    created: dt.datetime


@dataclass(frozen=True)
class Subscriber:
    """A generated member whose digest is checked."""

    subscription_id: int
    role: Role
    delegation: str
    kind: DelegationKind


@dataclass
class World:
    """The generated data as the measurement and the checks need it."""

    subscription_ids: list[int]
    updates: dict[int, Posted]  # of the week
    checked: dict[str, Subscriber]  # "admin", "observer" (role), "observer body" (delegation kind)
    initiatives: int
    readers: int
    scopes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


@dataclass(frozen=True)
class Reference:
    """What the seeded store holds: delegations, regions and their countries, initiatives, next ids."""

    delegations: dict[str, DelegationKind]
    regions: list[str]  # keys
    region_ids: dict[str, int]
    countries_of: dict[str, list[str]]  # region key -> country codes
    initiative_ids: list[int]
    first_ids: dict[str, int]  # table -> next free id


async def load_reference(conn: AsyncConnection) -> Reference:
    """Read the seed."""
    delegations = {
        c: DelegationKind(k) for c, k in await conn.execute(select(DelegationRow.code, DelegationRow.kind))
    }
    regions = {str(key): int(ident) for key, ident in await conn.execute(select(RegionRow.key, RegionRow.id))}
    key_of = {i: k for k, i in regions.items()}
    countries_of: dict[str, list[str]] = {}
    for region_id, code in await conn.execute(
        select(region_countries.c.region_id, region_countries.c.country_code)
    ):
        countries_of.setdefault(key_of[region_id], []).append(code)
    first: dict[str, int] = {}
    for name in SEQUENCES:
        first[name] = int(await conn.scalar(text(f"SELECT coalesce(max(id), 0) FROM {name}")) or 0) + 1  # noqa: S608
    ids = list(await conn.scalars(select(InitiativeRow.id).order_by(InitiativeRow.id)))
    return Reference(delegations, sorted(regions), regions, countries_of, ids, first)


def _number(written: str) -> int:
    """A count as the English texts write it ('1,343')."""
    return int(written.replace(",", ""))


def weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    """One key, by weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def zipf_picker(items: Sequence[Any], rng: random.Random, skew: float = 0.8) -> Callable[[], Any]:
    """Draw from `items` (shuffled once) on a Zipf curve: a few are popular, most are not."""
    order = list(items)
    rng.shuffle(order)
    cumulative = list(itertools.accumulate(1 / (rank + 1) ** skew for rank in range(len(order))))
    return lambda: order[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def member_rows(cat: Reference, count: int, rng: random.Random) -> list[Row]:
    """Members of every delegation, mostly contacts; a quarter in their capital's zone, French for some."""
    codes = sorted(cat.delegations)
    weights = [KIND_WEIGHTS[cat.delegations[c]] for c in codes]
    rows = []
    for n in range(count):
        code = rng.choices(codes, weights=weights)[0]
        role = weighted(rng, ROLE_WEIGHTS)
        if n < 3:  # the checked members: an admin, an observer, a contact of an observer body
            code, role = (("COM", Role.ADMIN), ("FR", Role.OBSERVER), ("FRONTEX", Role.CONTACT))[n]
        zone = CAPITALS.get(code, BRUSSELS) if n >= 3 and rng.random() < 0.25 else BRUSSELS
        french = rng.random() < (0.6 if code in FRENCH else 0.15)
        rows.append(
            {
                "id": cat.first_ids["members"] + n,
                "telegram_user_id": 600_000_000 + n,
                "chat_id": 600_000_000 + n,
                "display_name": f"Member {n:05d} ({code})",
                "delegation_code": code,
                "role": role.value,
                "status": "active",
                "language": "fr" if french and n >= 3 else "en",
                "time_zone": zone,
                "reachable": True,
                "created_at": DUE - dt.timedelta(days=200),
                "updated_at": DUE - dt.timedelta(days=200),
            }
        )
    return rows


def initiative_rows(
    cat: Reference, count: int, rng: random.Random
) -> tuple[list[Row], list[Row], list[Row], list[Row]]:
    """(initiatives, their countries, their regions, audit rows): a few created or edited this week."""
    first = max(cat.initiative_ids, default=0) + 1
    rows, countries, regions, audit = [], [], [], []
    for n in range(count):
        ident, kind = first + n, rng.choice(list(InitiativeType))
        region = rng.choice(cat.regions)
        codes = rng.sample(cat.countries_of[region], min(len(cat.countries_of[region]), rng.randint(1, 3)))
        created = DUE - dt.timedelta(days=rng.randint(30, 2000))
        ref = f"BX-{codes[0]}-{2025 - (DUE - created).days // 365}-{n:04d}"
        if rng.random() < 0.02:  # new this week
            created = DUE - dt.timedelta(seconds=rng.uniform(1, WEEK.total_seconds()))
            audit.append(_audit(created, "initiative.created", ref, {"title": ref}))
        elif rng.random() < 0.03:
            at = DUE - dt.timedelta(seconds=rng.uniform(1, WEEK.total_seconds()))
            audit.append(_audit(at, "initiative.edited", ref, {"field": "status", "value": "active"}))
        rows.append(
            {
                "id": ident,
                "ref": ref,
                "title": f"EU–{codes[0]} {rng.choice(TOPICS)} {kind.value.replace('_', ' ').title()}",
                "type": kind.value,
                "status": rng.choice(list(InitiativeStatus)).value,
                "notes": None,
                "year": created.year,
                "created_at": created,
                "last_activity_at": created,
            }
        )
        countries += [{"initiative_id": ident, "country_code": c} for c in codes]
        if rng.random() < 0.4:
            regions.append({"initiative_id": ident, "region_id": cat.region_ids[region]})
    return rows, countries, regions, audit


def _audit(at: dt.datetime, action: str, subject: str, details: Row) -> Row:
    return {"at": at, "actor_id": None, "action": action, "subject": subject, "details": details}


def body(ident: int, rng: random.Random) -> str:
    """'[#id] ' and log-normal prose: median ~330 characters, a few over 2,000."""
    length = min(3500, max(40, int(rng.lognormvariate(5.8, 0.75))))
    words: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    return f"[#{ident}] " + " ".join(words).capitalize() + "."


def update_rows(
    cat: Reference, members: Sequence[Row], initiative_ids: Sequence[int], count: int, rng: random.Random
) -> tuple[list[Row], list[Row], dict[int, Posted]]:
    """(updates, update_readers, what each update is) over the 7 days before DUE."""
    authors = [m for m in members if m["role"] != Role.OBSERVER.value]
    busy = zipf_picker(initiative_ids, rng, 0.7)
    states = [c for c, k in cat.delegations.items() if k is DelegationKind.MEMBER_STATE]
    rows, readers, posted = [], [], {}
    for n in range(count):
        ident, author = cat.first_ids["updates"] + n, rng.choice(authors)
        tlp = weighted(rng, TLP_WEIGHTS)
        allowed: frozenset[str] = frozenset()
        if tlp is Tlp.RED:
            allowed = frozenset(rng.sample(states, rng.randint(1, 4))) - {author["delegation_code"]}
            readers += [{"update_id": ident, "delegation_code": c} for c in sorted(allowed)]
        withdrawn = rng.random() < 0.01
        created = DUE - dt.timedelta(seconds=rng.uniform(1, WEEK.total_seconds()))
        rows.append(
            {
                "id": ident,
                "initiative_id": busy(),
                "kind": rng.choice(list(UpdateKind)).value,
                "text": body(ident, rng),
                "tlp": tlp.value,
                "author_id": author["id"],
                "delegation_code": author["delegation_code"],
                "created_at": created,
                "edited_at": None,
                "withdrawn_at": created + dt.timedelta(hours=1) if withdrawn else None,
            }
        )
        posted[ident] = Posted(
            tlp, author["delegation_code"], allowed, not withdrawn, int(rows[-1]["initiative_id"]), created
        )
    return rows, readers, posted


def scope_of(kind: str, cat: Reference, pick: dict[str, Callable[[], Any]], rng: random.Random) -> Scope:
    """A scope of this kind; popular regions, countries and initiatives come up more often."""

    def some(name: str, low: int, high: int) -> tuple[Any, ...]:
        return tuple(sorted({pick[name]() for _ in range(rng.randint(low, high))}))

    if kind == "everything":
        return Scope()
    if kind == "regions":
        return Scope(everything=False, regions=some("region", 1, 3))
    if kind == "countries":
        return Scope(everything=False, countries=some("country", 1, 4))
    if kind == "types":
        return Scope(everything=False, types=some("type", 1, 2))
    if kind == "mixed":
        return Scope(everything=False, regions=some("region", 1, 1), types=some("type", 1, 1))
    return Scope(everything=False, initiatives=some("initiative", 1, 2))


def subscription_rows(
    cat: Reference, members: Sequence[Row], initiative_ids: Sequence[int], rng: random.Random
) -> tuple[list[Row], Counter[str]]:
    """One weekly subscription per member, due at DUE (its local time in the member's zone)."""
    countries = sorted({c for codes in cat.countries_of.values() for c in codes})
    pick = {
        "region": zipf_picker(cat.regions, rng),
        "country": zipf_picker(countries, rng),
        "type": zipf_picker(list(InitiativeType), rng),
        "initiative": zipf_picker(initiative_ids, rng, 0.7),
    }
    kinds, shares = [k for k, _ in SCOPE_SHARES], [s for _, s in SCOPE_SHARES]
    kinds.append("initiatives")
    shares.append(1 - sum(shares))
    rows, tally = [], Counter[str]()
    for n, member in enumerate(members):
        kind = "everything" if n < 3 else rng.choices(kinds, weights=shares)[0]
        tally[kind] += 1
        local = DUE.astimezone(ZoneInfo(member["time_zone"]))
        rows.append(
            {
                "id": cat.first_ids["subscriptions"] + n,
                "member_id": member["id"],
                "scope": scope_json(scope_of(kind, cat, pick, rng)),
                "frequency": Frequency.WEEKLY.value,
                "weekday": local.weekday(),
                "at": f"{local:%H:%M}",
                "send_empty": rng.random() < 0.25,
                "paused": False,
                "next_due_at": DUE,
                "last_period_end": None,
                "created_at": DUE - dt.timedelta(days=100),
                "updated_at": DUE - dt.timedelta(days=100),
            }
        )
    return rows, tally


def event_rows(cat: Reference, initiative_ids: Sequence[int], rng: random.Random) -> list[Row]:
    """Thirty events in the fortnight after DUE, some on an initiative, some in a country."""
    countries = sorted({c for codes in cat.countries_of.values() for c in codes})
    return [
        {
            "title": f"{rng.choice(TOPICS)} senior officials meeting",
            "kind": "meeting",
            "starts_at": DUE + dt.timedelta(hours=rng.randint(1, 14 * 24 - 1)),
            "country_code": rng.choice(countries) if n % 2 else None,
            "initiative_id": rng.choice(initiative_ids) if n % 3 == 0 else None,
        }
        for n in range(30)
    ]


async def insert_all(conn: AsyncConnection, table: Any, rows: Sequence[Row]) -> None:
    """Core executemany in batches."""
    for start in range(0, len(rows), BATCH):
        await conn.execute(insert(table), list(rows[start : start + BATCH]))


async def generate(store: Store, args: argparse.Namespace) -> World:
    """Fill the store in one transaction."""
    rng, started = random.Random(args.seed), time.perf_counter()
    async with store.engine.begin() as conn:
        cat = await load_reference(conn)
        members = member_rows(cat, args.subscribers, rng)
        initiatives, countries, regions, audit = initiative_rows(cat, args.initiatives, rng)
        all_ids = cat.initiative_ids + [row["id"] for row in initiatives]
        updates, readers, posted = update_rows(cat, members, all_ids, args.updates, rng)
        subscriptions, tally = subscription_rows(cat, members, all_ids, rng)
        tables: list[tuple[Any, list[Row]]] = [
            (MemberRow, members),
            (InitiativeRow, initiatives),
            (initiative_countries, countries),
            (initiative_regions, regions),
            (AuditRow, audit),
            (UpdateRow, updates),
            (update_readers, readers),
            (EventRow, event_rows(cat, all_ids, rng)),
            (SubscriptionRow, subscriptions),
        ]
        for table, rows in tables:
            await insert_all(conn, table, rows)
        if conn.dialect.name == "postgresql":
            for name in SEQUENCES:
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"  # noqa: S608
                    )
                )
        await conn.execute(text("ANALYZE"))
    checked = {
        name: Subscriber(subscriptions[n]["id"], Role(members[n]["role"]), members[n]["delegation_code"],
                         cat.delegations[members[n]["delegation_code"]])
        for n, name in enumerate(("admin", "observer", "observer body"))
    }  # fmt: skip
    return World(
        subscription_ids=[row["id"] for row in subscriptions],
        updates=posted,
        checked=checked,
        initiatives=len(all_ids),
        readers=len(readers),
        scopes=tally,
        seconds=time.perf_counter() - started,
    )


# ---------------------------------------------------------------- measurement


class StatementCounter:
    """Counts statements sent to the database, by their first keyword, while on."""

    def __init__(self, store: Store) -> None:
        self.on = False
        self.counts: Counter[str] = Counter()
        event.listen(store.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if self.on:
            self.counts[statement.lstrip().split(None, 1)[0].upper()] += 1

    @asynccontextmanager
    async def counting(self) -> AsyncIterator[Counter[str]]:
        """Count within the block; the counts are in the yielded Counter."""
        self.counts = Counter()
        self.on = True
        try:
            yield self.counts
        finally:
            self.on = False


@dataclass
class Figures:
    """One size, measured three ways (medians over runs)."""

    size: int
    compose_s: list[float] = field(default_factory=list)
    compose_sql: int = 0
    render_s: list[float] = field(default_factory=list)
    send_s: list[float] = field(default_factory=list)
    send_sql: Counter[str] = field(default_factory=Counter)
    digests: int = 0  # distinct digests composed
    texts: int = 0  # distinct rendered texts
    parts: int = 0
    chars: int = 0
    sweep: Sweep | None = None
    rows: int = 0


async def jobs_for(uow: UnitOfWork, only: Sequence[int] | None) -> list[DueDigest]:
    """The digests `send_due` composes: every subscription due at DUE (none is late), with its member."""
    wanted = set(only) if only is not None else None
    due = [s for s in await uow.subscriptions.active(due_before=DUE) if wanted is None or s.id in wanted]
    members = {m.id: m for m in await uow.members.by_ids({s.member_id for s in due})}
    return [DueDigest(s, members[s.member_id], *period_of(s, s.next_due_at)) for s in due]


async def compose_alone(
    store: Store,
    counter: StatementCounter,
    names: tuple[dict[str, str], dict[str, str]],
    only: Sequence[int] | None,
    into: Figures,
) -> None:
    """compose() in a unit of work (COMPOSE_REPEAT times, its statements counted), then every digest
    rendered once (timed), a digest's subscribers together as send_due takes them."""
    async with store.uow() as uow:
        jobs = await jobs_for(uow, only)
        for _ in range(COMPOSE_REPEAT):
            digests: list[Digest] = []  # let the previous batch go before the next one is built
            gc.collect()
            async with counter.counting() as counts:
                started = time.perf_counter()
                digests = await compose(uow, jobs, DUE)
                into.compose_s.append(time.perf_counter() - started)
            into.compose_sql = sum(counts.values())
    renderer = DigestRenderer(*names)
    together = sorted(zip(jobs, digests, strict=True), key=lambda jd: id(jd[1]))
    started = time.perf_counter()
    outgoing = [renderer(j.member, j.subscription, digest) for j, digest in together]
    into.render_s.append(time.perf_counter() - started)
    into.digests = len({id(d) for d in digests})
    into.texts = len(
        {(id(d), j.member.language, j.member.time_zone) for j, d in zip(jobs, digests, strict=True)}
    )
    into.parts = sum(len(o.parts) for batch in outgoing for o in batch)
    into.chars = sum(len(p) for batch in outgoing for o in batch for p in o.parts)


async def send_all(
    store: Store,
    counter: StatementCounter,
    names: tuple[dict[str, str], dict[str, str]],
    only: Sequence[int] | None,
    into: Figures,
) -> None:
    """The whole send_due, timed and counted; then how many outbox rows it wrote."""
    gc.collect()
    async with counter.counting() as counts:
        started = time.perf_counter()
        sweep = await send_due(store.uow, DUE, DigestRenderer(*names), only)
        into.send_s.append(time.perf_counter() - started)
    into.send_sql, into.sweep = Counter(counts), sweep
    async with store.engine.connect() as conn:
        into.rows = int(await conn.scalar(select(func.count()).select_from(OutboxRow)) or 0)


async def reset(store: Store) -> None:
    """Back to before the sweep: no outbox rows, no digest runs, everything due at DUE again."""
    async with store.engine.begin() as conn:
        await conn.execute(delete(OutboxRow))
        await conn.execute(delete(DigestRunRow))
        await conn.execute(update(SubscriptionRow).values(next_due_at=DUE, last_period_end=None))


# ---------------------------------------------------------------- checks


def may_read(reader: Subscriber, update: Posted) -> bool:
    """SPEC.md's TLP 2.0 table, written out again as the oracle of the check: labels nest, so an
    observer (by role or body) reads neither AMBER nor AMBER+STRICT, and RED only where named."""
    if update.tlp in (Tlp.CLEAR, Tlp.GREEN) or reader.role is Role.ADMIN:
        return True
    observer = reader.kind is DelegationKind.OBSERVER or reader.role is Role.OBSERVER
    if update.tlp is Tlp.AMBER:
        return not observer
    if update.tlp is Tlp.AMBER_STRICT:
        return not observer and reader.delegation == update.delegation
    return reader.delegation in update.readers or (not observer and reader.delegation == update.delegation)


async def check(store: Store, world: World) -> list[str]:
    """What is wrong with the outbox after the full sweep (nothing: an empty list)."""
    problems: list[str] = []
    async with store.engine.connect() as conn:
        runs = {
            int(ident): str(outcome)
            for ident, outcome in await conn.execute(
                select(DigestRunRow.subscription_id, DigestRunRow.outcome)
            )
        }
        run_count = await conn.scalar(select(func.count()).select_from(DigestRunRow))
        texts: dict[int, str] = {}
        jobs: Counter[int] = Counter()
        longest = most_parts = 0
        watched = {s.subscription_id for s in world.checked.values()}
        result = await conn.stream(select(OutboxRow.job, OutboxRow.payload).execution_options(yield_per=200))
        async for job, payload in result:
            ident = int(str(job).rsplit(":", 1)[1])
            jobs[ident] += 1
            longest = max([longest, *(len(p) for p in payload["parts"])])
            most_parts = max(most_parts, len(payload["parts"]))
            if ident in watched:
                texts[ident] = "\n".join(payload["parts"])
    if run_count != len(world.subscription_ids) or set(runs) != set(world.subscription_ids):
        problems.append(f"{run_count} digest runs for {len(world.subscription_ids)} subscriptions")
    sent = {i for i, outcome in runs.items() if outcome == "sent"}
    if set(jobs) != sent or any(n != 1 for n in jobs.values()):
        problems.append(f"{sum(jobs.values())} outbox rows for {len(sent)} sent digests")
    if longest > LIMIT:
        problems.append(f"a message of {longest} characters")
    if most_parts > MAX_PARTS:
        problems.append(f"a digest of {most_parts} messages")
    for name, reader in world.checked.items():
        problems += [
            f"{name}: {p}" for p in check_digest(world, reader, texts.get(reader.subscription_id, ""))
        ]
    return problems


def check_digest(world: World, reader: Subscriber, text: str) -> list[str]:
    """An "everything" digest against the oracle: the headline counts every update of the week the reader
    may read; each initiative shown holds its newest three of them (and says how many more); what is left
    out is counted in the closing line; no TLP:AMBER for observers."""
    problems: list[str] = []
    week = {i for i, u in world.updates.items() if u.live}
    expected = {i for i in week if may_read(reader, world.updates[i])}
    by_initiative: dict[int, list[int]] = {}
    for ident in sorted(expected, key=lambda i: (world.updates[i].created, i), reverse=True):
        by_initiative.setdefault(world.updates[ident].initiative, []).append(ident)
    shown = {int(m) for m in MARK.findall(text)}
    headline = HEADLINE.search(text)
    counted = (_number(headline[1]), _number(headline[2])) if headline else None
    if counted != (len(expected), len(by_initiative)):
        found = headline[0] if headline else "no headline"
        problems.append(f"{found!r}, expected {len(expected)} updates on {len(by_initiative)} initiatives")
    if reader.role is Role.ADMIN and len(expected) != len(week):
        problems.append(f"the headline counts {len(expected)} of the week's {len(week)} updates")
    if shown - expected:
        problems.append(f"{len(shown - expected)} updates shown that the reader may not read")
    initiatives = {world.updates[i].initiative for i in shown}
    wrong = [i for i in initiatives if shown & set(by_initiative[i]) != set(by_initiative[i][:SHOWN])]
    if wrong:
        problems.append(f"{len(wrong)} initiatives not showing their newest {SHOWN} updates")
    more = sum(1 for i in initiatives if len(by_initiative[i]) > SHOWN)
    if len(MORE.findall(text)) != more:
        problems.append(f'{len(MORE.findall(text))} "+N more" lines for {more} initiatives with more')
    closing = CLOSING.search(text)
    left = len(by_initiative) - len(initiatives)
    if (_number(closing[1]) if closing else 0) != left:
        problems.append(f"closing line {closing[0] if closing else None!r}, {left} initiatives left out")
    amber = {i for i in shown if world.updates[i].tlp is Tlp.AMBER}
    if reader.role is not Role.ADMIN and (amber or f"[{Tlp.AMBER.value}]" in text):
        problems.append(f"{len(amber)} TLP:AMBER updates in the digest")
    return problems


# ---------------------------------------------------------------- the run


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.digests", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--subscribers", type=int, default=10_000, help="members, one subscription each (10000)"
    )
    parser.add_argument("--updates", type=int, default=5000, help="updates in the week (5000)")
    parser.add_argument("--initiatives", type=int, default=500, help="initiatives added to the seed's (500)")
    parser.add_argument("--database", help="postgresql:// or sqlite:// URL (default: temporary SQLite)")
    parser.add_argument("--runs", type=int, default=1, help="timed runs per size; medians reported (1)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated data (1)")
    parser.add_argument("--profile", action="store_true", help="cProfile one more full send_due; top costs")
    parser.add_argument(
        "--no-tracemalloc", dest="trace", action="store_false", help="skip the traced run (no peak figure)"
    )
    args = parser.parse_args(argv)
    if args.subscribers < 3 or args.updates < 1 or args.initiatives < 1 or args.runs < 1:
        parser.error("need --subscribers >= 3, and positive --updates, --initiatives and --runs")
    return args


def progress(what: str) -> None:
    """Where a long run is, on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def sizes(total: int) -> list[int]:
    """1,000, 5,000 and the total, whichever are below it."""
    return sorted({n for n in (1000, 5000) if n < total} | {total})


async def traced_peak(
    store: Store, names: tuple[dict[str, str], dict[str, str]], trace: bool
) -> tuple[float | None, float]:
    """(MB traced at the peak of a full send_due, or None if not traced; the process's max RSS in MB)."""
    if not trace:
        return None, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gc.collect()
    tracemalloc.start()
    try:
        await send_due(store.uow, DUE, DigestRenderer(*names))
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del current
    return peak / MB, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def profile(store: Store, names: tuple[dict[str, str], dict[str, str]]) -> str:
    """cProfile of one full send_due: the 20 costliest functions by own time, and by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    await send_due(store.uow, DUE, DigestRenderer(*names))
    profiler.disable()
    lines = []
    for order in ("tottime", "cumulative"):
        stream = _Stream()
        pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats(order).print_stats(20)  # type: ignore[arg-type]
        lines.append(stream.text())
    return "\n".join(lines)


class _Stream:
    """A file-like sink for pstats."""

    def __init__(self) -> None:
        self.chunks: list[str] = []

    def write(self, chunk: str) -> int:
        self.chunks.append(chunk)
        return len(chunk)

    def text(self) -> str:
        return "".join(self.chunks)


def report(
    figures: Sequence[Figures],
    world: World,
    store: Store,
    args: argparse.Namespace,
    memory: tuple[float | None, float],
) -> str:
    """The aligned plain-text tables."""
    backend = store.backend
    driver = "aiosqlite" if backend == "sqlite" else "asyncpg"
    share = ", ".join(f"{k} {n / args.subscribers:.0%}" for k, n in world.scopes.most_common())
    lines = [
        f"Python {platform.python_version()}, SQLAlchemy {version('SQLAlchemy')}, database {backend} "
        f"({driver} {version(driver)}); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}",
        f"{args.subscribers:,} subscriptions ({share}),",
        f"{len(world.updates):,} updates in the week ({world.readers:,} RED readers), "
        f"{world.initiatives:,} initiatives; generated in {world.seconds:.1f} s; {args.runs} run(s) a size",
        f"compose s: median of {COMPOSE_REPEAT * args.runs} calls; render s: rendering alone; SQL: queries",
        "rows: outbox rows written; digests, texts: distinct composed, rendered; parts: Telegram messages",
        "",
    ]
    head = (
        "due", "compose s", "SQL", "render s", "send_due s", "µs/sub", "SQL", "SQL/sub",
        "rows", "digests", "texts", "parts", "MB text",
    )  # fmt: skip
    table = [head]
    for f in figures:
        send = statistics.median(f.send_s)
        sql = sum(f.send_sql.values())
        table.append(
            (
                f"{f.size:,}",
                f"{statistics.median(f.compose_s):.2f}",
                f"{f.compose_sql}",
                f"{statistics.median(f.render_s):.2f}",
                f"{send:.2f}",
                f"{send / f.size * 1e6:,.0f}",
                f"{sql:,}",
                f"{sql / f.size:.2f}",
                f"{f.rows:,}",
                f"{f.digests:,}",
                f"{f.texts:,}",
                f"{f.parts:,}",
                f"{f.chars / MB:,.1f}",
            )
        )
    widths = [max(len(row[i]) for row in table) + 2 for i in range(len(head))]
    lines += ["".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in table]
    last = figures[-1]
    kinds = ", ".join(f"{k} {n:,}" for k, n in last.send_sql.most_common())
    assert last.sweep is not None
    compose_s, send_s = statistics.median(last.compose_s), statistics.median(last.send_s)
    traced = "–" if memory[0] is None else f"{memory[0]:,.1f}"
    lines += [
        "",
        f"send_due of {last.size:,}: {last.sweep.sent:,} sent, {last.sweep.empty:,} empty",
        f"  its statements: {kinds}",
        f"traced peak during the full send_due: {traced} MB; process max RSS {memory[1]:,.1f} MB",
        f"target, all {last.size:,} in < {TARGET_S:g} s: compose {compose_s:.2f} s, send_due {send_s:.2f} s",
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> int:
    """Generate, warm up, measure every size, check the full sweep once, trace memory, print."""
    async with fresh_database(args.database) as url:
        store = open_store(url)
        try:
            await prepare_store(store)
            progress("generating")
            world = await generate(store, args)
            counter = StatementCounter(store)
            names = await place_names(store.uow)
            warm = Figures(0)
            await send_all(store, counter, names, world.subscription_ids[:50], warm)
            await reset(store)
            figures = [Figures(n) for n in sizes(args.subscribers)]
            problems: list[str] = []
            for index in range(args.runs):
                for f in figures:
                    progress(f"run {index + 1}: {f.size:,} due")
                    only = None if f.size == args.subscribers else world.subscription_ids[: f.size]
                    await compose_alone(store, counter, names, only, f)
                    await send_all(store, counter, names, only, f)
                    if index == 0 and only is None:
                        problems = await check(store, world)
                    await reset(store)
            if args.trace:
                progress("traced full send_due")
            memory = await traced_peak(store, names, args.trace)
            await reset(store)
            print(report(figures, world, store, args, memory))
            if args.profile:
                progress("profiling a full send_due")
                print("\n" + await profile(store, names))
        finally:
            await store.dispose()
    for problem in problems:
        print(f"WRONG: {problem}")
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: quiet logging, run the benchmark, return the exit code."""
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
