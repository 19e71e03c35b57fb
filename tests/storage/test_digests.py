"""Digests on a schedule, with an injected clock: due times across zones and DST, what a digest holds,
periods without gaps, once per period through double runs and restarts, grace, pauses and revocations.

The real services (`bot.services.digests.send_due`) on the real store (SQLite and PostgreSQL); what was
queued is read from the outbox, what was sent from the fake Bot API. Expected UTC instants are written
out by hand.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from sqlalchemy import delete, select
from sqlalchemy import update as sql_update

from bot.console.updates import Identity
from bot.domain.digests import Frequency, Scope, Subscription, next_due
from bot.domain.model import Update
from bot.domain.outbox import OutboxKind
from bot.domain.posting import Draft
from bot.domain.specs import EventSpec, InitiativeSpec
from bot.domain.splitting import LIMIT
from bot.domain.vocab import EventKind, InitiativeStatus, InitiativeType, Role, Tlp, UpdateKind
from bot.services import curation, digests
from bot.services.actors import Actor
from bot.services.catalog import place_names
from engines.sender import Sender, SenderConfig
from handlers.digest_render import MAX_PARTS, DigestRenderer
from handlers.jobs import JOB_KWARGS, job_name, rebuild, schedule
from storage.factory import Store, open_store
from storage.models import DigestRunRow, MemberRow, OutboxRow, SubscriptionRow, UpdateRow
from tests.conftest import NOW, register
from tests.harness import BotHarness

UTC = dt.UTC
MONDAY = 0
EIGHT = dt.time(8, 0)
# Mondays at 08:00 in Brussels (CET, UTC+1, after the EU change of 25 October 2026).
T0 = dt.datetime(2026, 11, 16, 7, 0, tzinfo=UTC)
T1 = dt.datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
T2 = dt.datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
SUBSCRIBED = dt.datetime(2026, 11, 10, 10, 0, tzinfo=UTC)  # a Tuesday: the first digest is due at T0
SECOND = dt.timedelta(seconds=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)
NOTHING_NEW = "nothing new on what this digest covers."


# --- helpers -------------------------------------------------------------------------------------------


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    """A UTC instant."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


async def member_id(store: Store, telegram_user_id: int) -> int:
    """The member row id of a Telegram user."""
    async with store.uow() as uow:
        member = await uow.members.by_telegram_id(telegram_user_id)
    assert member is not None
    return member.id


async def initiative_id(store: Store, ref: str) -> int:
    """The id of a seeded initiative."""
    async with store.uow() as uow:
        found = await uow.initiatives.by_ref(ref)
    assert found is not None, ref
    return found.id


async def set_member(store: Store, telegram_user_id: int, **values: Any) -> None:
    """Change a member's row (time zone, status, role) as an admin's action would."""
    async with store.engine.begin() as connection:
        await connection.execute(
            sql_update(MemberRow).where(MemberRow.telegram_user_id == telegram_user_id).values(**values)
        )


async def post(
    store: Store,
    author: int,
    ref: str,
    text: str,
    at: dt.datetime,
    tlp: Tlp = Tlp.GREEN,
    red: tuple[str, ...] = (),
) -> Update:
    """An update posted by `author` (a Telegram id) on the initiative `ref` at `at`."""
    ident = await initiative_id(store, ref)
    async with store.uow() as uow:
        member = await uow.members.by_telegram_id(author)
        assert member is not None
        draft = Draft(uuid.uuid4().hex, ident, UpdateKind.PROGRESS, text, tlp, frozenset(red))
        update = await uow.updates.add(draft, member.id, member.delegation.code, at)
        await uow.commit()
    assert update is not None
    return update


async def post_many(store: Store, author: int, items: list[tuple[str, str, dt.datetime]]) -> None:
    """Many GREEN updates (initiative ref, text, when) by `author`, in one unit of work."""
    async with store.uow() as uow:
        member = await uow.members.by_telegram_id(author)
        assert member is not None
        ids = {i.ref: i.id for i in await uow.initiatives.all()}
        for ref, text, at in items:
            draft = Draft(uuid.uuid4().hex, ids[ref], UpdateKind.PROGRESS, text)
            assert await uow.updates.add(draft, member.id, member.delegation.code, at) is not None
        await uow.commit()


async def subscribe(
    store: Store,
    telegram_user_id: int,
    *,
    scope: Scope | None = None,
    frequency: Frequency = Frequency.WEEKLY,
    weekday: int = MONDAY,
    at: dt.time = EIGHT,
    send_empty: bool = True,
    now: dt.datetime = SUBSCRIBED,
) -> Subscription:
    """A subscription made through the service, as the /subscribe flow makes it."""
    return await digests.subscribe(
        store.uow, Actor(telegram_user_id), scope or Scope(), frequency, weekday, at, send_empty, now
    )


async def send_due(store: Store, now: dt.datetime, only: list[int] | None = None) -> digests.Sweep:
    """One run of the digest job, as `handlers.jobs.send_digests` makes it."""
    regions, countries = await place_names(store.uow)
    return await digests.send_due(store.uow, now, DigestRenderer(regions, countries), only)


@dataclass(frozen=True)
class Row:
    """A digest as queued in the outbox."""

    chat_id: int
    dedupe_key: str
    parts: list[str]
    status: str
    protect: bool

    @property
    def text(self) -> str:
        """All parts, joined."""
        return "\n".join(self.parts)


async def queued(store: Store, chat_id: int | None = None) -> list[Row]:
    """The digests in the outbox, oldest first (of one chat if given)."""
    query = select(OutboxRow).where(OutboxRow.kind == OutboxKind.DIGEST.value).order_by(OutboxRow.id)
    if chat_id is not None:
        query = query.where(OutboxRow.chat_id == chat_id)
    async with store.engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return [
        Row(
            int(r["chat_id"]),
            str(r["dedupe_key"]),
            list(r["payload"]["parts"]),
            str(r["status"]),
            bool(r["payload"]["protect"]),
        )
        for r in rows
    ]


async def stored(store: Store, subscription_id: int) -> Subscription:
    """A subscription as stored now."""
    async with store.uow() as uow:
        found = await uow.subscriptions.by_id(subscription_id)
    assert found is not None
    return found


async def runs(store: Store, subscription_id: int) -> list[tuple[dt.datetime, dt.datetime, str]]:
    """The recorded periods of a subscription, oldest first."""
    async with store.uow() as uow:
        return list(await uow.subscriptions.runs(subscription_id))


def key(subscription_id: int, period_end: dt.datetime) -> str:
    """The outbox dedupe key of a digest."""
    return f"digest:{subscription_id}:{period_end.isoformat()}"


def hold_jobs(bot: BotHarness) -> Any:
    """Pause the real scheduler: jobs are added and inspected but run only when a test runs them.

    The harness's clock is fixed in 2026 while APScheduler runs on the wall clock, so a job due at a
    fixed-clock instant may already be in the wall clock's past and would otherwise fire at once.
    """
    queue = bot.app.job_queue
    assert queue is not None
    queue.scheduler.pause()
    return queue


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.bad = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.bad = True
        else:
            self.open.pop()


def balanced(text: str) -> bool:
    """Every tag closed in order, no tag or entity cut off at the end."""
    parser = _Tags()
    parser.feed(text)
    parser.close()
    tail = text[text.rfind("&") :] if "&" in text else ""
    cut_entity = bool(tail) and ";" not in tail and len(tail) < 8
    return not parser.bad and not parser.open and "<" not in text[text.rfind(">") + 1 :] and not cut_entity


# --- due times over a week, across zones and daylight-saving changes ---------------------------------


def chain(after: dt.datetime, frequency: Frequency, at: dt.time, zone: str, count: int) -> list[dt.datetime]:
    """`count` consecutive due times, each computed from the previous one as `send_due` does."""
    found: list[dt.datetime] = []
    for _ in range(count):
        after = next_due(after, frequency, MONDAY, at, zone)
        found.append(after)
    return found


def test_daily_schedules_over_a_week_in_three_zones_across_the_dst_changes() -> None:
    # Brussels: CEST (UTC+2) until 03:00 on Sunday 25 October 2026, CET (UTC+1) after.
    assert chain(utc(2026, 10, 20, 12), Frequency.DAILY, EIGHT, "Europe/Brussels", 7) == [
        utc(2026, 10, 21, 6),
        utc(2026, 10, 22, 6),
        utc(2026, 10, 23, 6),
        utc(2026, 10, 24, 6),
        utc(2026, 10, 25, 7),
        utc(2026, 10, 26, 7),
        utc(2026, 10, 27, 7),
    ]
    # New York: EDT (UTC-4) until 02:00 on Sunday 1 November 2026, EST (UTC-5) after.
    assert chain(utc(2026, 10, 27, 12), Frequency.DAILY, EIGHT, "America/New_York", 7) == [
        utc(2026, 10, 28, 12),
        utc(2026, 10, 29, 12),
        utc(2026, 10, 30, 12),
        utc(2026, 10, 31, 12),
        utc(2026, 11, 1, 13),
        utc(2026, 11, 2, 13),
        utc(2026, 11, 3, 13),
    ]
    # Tokyo: UTC+9 all year; 08:00 there is 23:00 UTC the day before.
    assert chain(utc(2026, 10, 20, 12), Frequency.DAILY, EIGHT, "Asia/Tokyo", 7) == [
        utc(2026, 10, 20, 23),
        utc(2026, 10, 21, 23),
        utc(2026, 10, 22, 23),
        utc(2026, 10, 23, 23),
        utc(2026, 10, 24, 23),
        utc(2026, 10, 25, 23),
        utc(2026, 10, 26, 23),
    ]


def test_weekly_monday_schedules_across_the_eu_and_us_dst_changes() -> None:
    # Monday 08:00 Brussels: 06:00 UTC in summer time (19 Oct), 07:00 UTC after the change (26 Oct).
    assert chain(utc(2026, 10, 13, 12), Frequency.WEEKLY, EIGHT, "Europe/Brussels", 4) == [
        utc(2026, 10, 19, 6),
        utc(2026, 10, 26, 7),
        utc(2026, 11, 2, 7),
        utc(2026, 11, 9, 7),
    ]
    # Monday 08:00 New York: 12:00 UTC until 1 November, 13:00 UTC after (2 Nov).
    assert chain(utc(2026, 10, 13, 12), Frequency.WEEKLY, EIGHT, "America/New_York", 4) == [
        utc(2026, 10, 19, 12),
        utc(2026, 10, 26, 12),
        utc(2026, 11, 2, 13),
        utc(2026, 11, 9, 13),
    ]
    # Monday 08:00 Tokyo is Sunday 23:00 UTC, whatever Europe and America do.
    assert chain(utc(2026, 10, 13, 12), Frequency.WEEKLY, EIGHT, "Asia/Tokyo", 4) == [
        utc(2026, 10, 18, 23),
        utc(2026, 10, 25, 23),
        utc(2026, 11, 1, 23),
        utc(2026, 11, 8, 23),
    ]
    # Due exactly now is not "after now": the next one is a week later.
    assert next_due(utc(2026, 10, 26, 7), Frequency.WEEKLY, MONDAY, EIGHT, "Europe/Brussels") == utc(
        2026, 11, 2, 7
    )
    assert next_due(utc(2026, 10, 26, 6, 59, 59), Frequency.WEEKLY, MONDAY, EIGHT, "Europe/Brussels") == utc(
        2026, 10, 26, 7
    )


def test_a_time_repeated_or_skipped_by_the_change_is_due_once_that_day() -> None:
    at = dt.time(2, 30)
    # 02:30 happens twice on 25 October 2026 in Brussels: the first (summer time) one counts.
    assert chain(utc(2026, 10, 23, 12), Frequency.DAILY, at, "Europe/Brussels", 3) == [
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 26, 1, 30),
    ]
    # 02:30 does not exist on 29 March 2026 in Brussels: read with the offset before the gap (03:30 CEST).
    assert chain(utc(2026, 3, 27, 12), Frequency.DAILY, at, "Europe/Brussels", 3) == [
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 30, 0, 30),
    ]


async def test_stored_due_times_follow_the_member_zone_across_the_change(
    store: Store, people: dict[str, Identity]
) -> None:
    """A Brussels member's daily digest and a New York member's weekly one, sent run after run."""
    await set_member(store, 102, time_zone="America/New_York")
    brussels = await subscribe(store, 101, frequency=Frequency.DAILY, now=utc(2026, 10, 23, 12))
    new_york = await subscribe(store, 102, now=utc(2026, 10, 23, 12))
    assert brussels.next_due_at == utc(2026, 10, 24, 6)
    assert new_york.next_due_at == utc(2026, 10, 26, 12)
    for now in [utc(2026, 10, 24, 6), utc(2026, 10, 25, 7), utc(2026, 10, 26, 7), utc(2026, 10, 26, 12)]:
        await send_due(store, now)
    assert (await stored(store, brussels.id)).next_due_at == utc(2026, 10, 27, 7)
    assert (await stored(store, new_york.id)).next_due_at == utc(2026, 11, 2, 13)  # EST from 1 November
    assert [(a, b) for a, b, _ in await runs(store, brussels.id)] == [
        (utc(2026, 10, 17, 6), utc(2026, 10, 24, 6)),
        (utc(2026, 10, 24, 6), utc(2026, 10, 25, 7)),  # 25 hours: the night the clocks went back
        (utc(2026, 10, 25, 7), utc(2026, 10, 26, 7)),
    ]
    assert [(a, b) for a, b, _ in await runs(store, new_york.id)] == [
        (utc(2026, 10, 19, 12), utc(2026, 10, 26, 12))
    ]
    assert [r.dedupe_key for r in await queued(store, 102)] == [key(new_york.id, utc(2026, 10, 26, 12))]


# --- what a digest holds --------------------------------------------------------------------------------


async def test_digest_groups_region_country_initiative_newest_first(
    store: Store, people: dict[str, Identity]
) -> None:
    sub = await subscribe(store, 101)  # the admin, in Brussels, everything
    await send_due(store, T0)
    await post(store, 102, "MP-MA-2013", "before-the-period", T0 - SECOND)
    await post(store, 102, "MP-MD-2008", "md-one", utc(2026, 11, 17, 10))
    await post(store, 102, "MP-MA-2013", "ma-old", utc(2026, 11, 18, 10))
    await post(store, 102, "MP-MA-2013", "ma-new", utc(2026, 11, 21, 23, 30), Tlp.AMBER)  # 22 Nov in Brussels
    await post(store, 101, "TP-MA", "tpma-one", utc(2026, 11, 22, 10))
    await post(store, 102, "MP-TN-2014", "tn-one", utc(2026, 11, 22, 11))
    await post(store, 102, "AP-WB-2022", "wb-one", utc(2026, 11, 19, 10))
    await post(store, 102, "RA-HK-2004", "hk-one", utc(2026, 11, 20, 10))
    await post(store, 102, "JVAP-AFR-2015", "jvap-one", utc(2026, 11, 20, 12))
    withdrawn = await post(store, 102, "MP-MA-2013", "withdrawn-one", utc(2026, 11, 20, 9))
    await post(store, 102, "MP-MA-2013", "at-the-end", T1)
    async with store.engine.begin() as connection:
        await connection.execute(
            sql_update(UpdateRow)
            .where(UpdateRow.id == withdrawn.id)
            .values(withdrawn_at=utc(2026, 11, 20, 10))
        )
    await send_due(store, T1)
    [_, row] = await queued(store, 101)
    assert row.dedupe_key == key(sub.id, T1)
    [text] = row.parts
    assert text.startswith(
        "📰 <b>EMWP digest</b> · 2026-11-16 → 2026-11-23\n"
        "<b>8 updates</b> on 7 initiatives · 0 new initiatives · 0 status changes"
    )
    order = [
        "🌍 <b>Eastern Partnership</b>",
        "📍 <b>Moldova</b>",
        "<code>MP-MD-2008</code> EU-Moldova Mobility Partnership · /initiative MP-MD-2008",
        "<b>[TLP:GREEN]</b> 2026-11-17 · FR · progress\nmd-one",
        "🌍 <b>North Africa</b>",
        "📍 <b>Morocco</b>",
        "<code>TP-MA</code>",  # its newest update (22 Nov 10:00) is newer than MP-MA-2013's
        "<b>[TLP:GREEN]</b> 2026-11-22 · GSC · progress\ntpma-one",
        "<code>MP-MA-2013</code>",
        "<b>[TLP:AMBER]</b> 2026-11-22 · FR · progress\nma-new",
        "<b>[TLP:GREEN]</b> 2026-11-18 · FR · progress\nma-old",
        "📍 <b>Tunisia</b>",
        "<code>MP-TN-2014</code>",
        "tn-one",
        "🌍 <b>Western Balkans</b>",
        "📍 <b>Several countries</b>",
        "<code>AP-WB-2022</code>",
        "wb-one",
        "🌍 <b>Other and multi-regional</b>",
        "📍 <b>Hong Kong</b>",
        "<code>RA-HK-2004</code>",
        "hk-one",
        "📍 <b>Several countries</b>\n\n<code>JVAP-AFR-2015</code>",
        "jvap-one",
    ]
    positions = [text.find(part) for part in order]
    assert -1 not in positions, [p for p, at in zip(order, positions, strict=True) if at == -1]
    assert positions == sorted(positions)
    for absent in ("before-the-period", "withdrawn-one", "at-the-end"):
        assert absent not in text


TLP_UPDATES = {  # each on its own initiative, so that a digest shows every update its reader may see
    "green-note": (102, Tlp.GREEN, (), "MP-MA-2013"),
    "amber-note": (102, Tlp.AMBER, (), "MP-TN-2014"),
    "strict-note": (202, Tlp.AMBER_STRICT, (), "MP-MD-2008"),
    "red-frontex-note": (202, Tlp.RED, ("FRONTEX",), "TP-MA"),
    "red-nobody-note": (202, Tlp.RED, (), "AP-WB-2022"),
}
# Who reads what under TLP 2.0 (SPEC.md), by hand: the DE contact is made an observer before sending.
TLP_READERS = {
    101: {"green-note", "amber-note", "strict-note", "red-frontex-note", "red-nobody-note"},  # admin, GSC
    102: {"green-note", "amber-note"},  # contact, FR
    103: {"green-note", "red-frontex-note"},  # observer, FRONTEX
    202: {"green-note", "amber-note", "strict-note", "red-frontex-note", "red-nobody-note"},  # contact, IT
    201: {"green-note"},  # DE, a contact when the updates were posted, an observer when the digest went
}


async def test_digest_holds_only_what_each_member_may_read_when_it_is_sent(
    store: Store, people: dict[str, Identity]
) -> None:
    await register(store, 201, Role.CONTACT, "DE", "Dora")
    await register(store, 202, Role.CONTACT, "IT", "Ivo")
    subs = {uid: await subscribe(store, uid) for uid in TLP_READERS}
    await send_due(store, T0)
    for n, (text, (author, tlp, red, ref)) in enumerate(TLP_UPDATES.items()):
        await post(store, author, ref, text, utc(2026, 11, 17, 10 + n), tlp, red)
    await set_member(store, 201, role=Role.OBSERVER.value)
    await send_due(store, T1)
    for uid, expected in TLP_READERS.items():
        [_, row] = await queued(store, uid)
        assert row.dedupe_key == key(subs[uid].id, T1)
        assert {t for t in TLP_UPDATES if t in row.text} == expected, uid
        count = len(expected)
        counted = f"{count} update" if count == 1 else f"{count} updates"
        on = f"{count} initiative" if count == 1 else f"{count} initiatives"
        assert f"<b>{counted}</b> on {on}" in row.text, uid  # nothing hidden counted
        for t, (_, tlp, _, ref) in TLP_UPDATES.items():
            assert (f"<code>{ref}</code>" in row.text) is (t in expected), (uid, ref)
            if t in expected:
                assert f"<b>[{tlp.value}]</b>" in row.text
        assert row.protect is (expected != {"green-note"}), uid  # AMBER and stricter: no forwarding


async def test_new_initiatives_status_changes_and_the_next_two_weeks_of_events(
    store: Store, people: dict[str, Identity]
) -> None:
    admin = Actor(101)
    everything = await subscribe(store, 101)
    north_africa = await subscribe(store, 102, scope=Scope(everything=False, regions=("north_africa",)))
    await send_due(store, T0)
    spec = InitiativeSpec(
        "TP-SN-2026",
        "EU-Senegal Talent Partnership",
        InitiativeType.PARTNERSHIP,
        InitiativeStatus.PLANNED,
        countries=("SN",),
        regions=("west_africa",),
    )
    await curation.create_initiative(store.uow, admin, spec, utc(2026, 11, 18, 9))
    early = InitiativeSpec("TP-GH-2026", "EU-Ghana Talent Partnership", spec.type, spec.status, ("GH",))
    await curation.create_initiative(store.uow, admin, early, T0 - HOUR)  # in the previous period
    tunisia = await initiative_id(store, "MP-TN-2014")
    await curation.edit_initiative(store.uow, admin, tunisia, "status", "suspended", utc(2026, 11, 19, 10))
    await curation.edit_initiative(
        store.uow, admin, tunisia, "title", "EU-Tunisia MP (renamed)", utc(2026, 11, 19, 11)
    )
    balkans = await initiative_id(store, "AP-WB-2022")
    await curation.edit_initiative(store.uow, admin, balkans, "status", "completed", utc(2026, 11, 20, 10))
    async with store.uow() as uow:
        for title, starts, ref in [
            ("Rabat Process senior officials", T1 + 3 * DAY + HOUR, "RABAT-2006"),
            ("Western Balkans ministerial", T1 + 13 * DAY, "AP-WB-2022"),
            ("Too far ahead", T1 + 15 * DAY, "RABAT-2006"),
            ("Already over", T1 - DAY, "RABAT-2006"),
        ]:
            await uow.events.save(EventSpec(title, EventKind.MEETING, starts, initiative_ref=ref))
        await uow.commit()
    await send_due(store, T1)
    [_, full] = await queued(store, 101)
    assert full.dedupe_key == key(everything.id, T1)
    text = full.text
    assert "<b>0 updates</b> on 0 initiatives · 1 new initiative · 2 status changes" in text
    assert (
        "<b>New initiatives</b>\n"
        "<code>TP-SN-2026</code> EU-Senegal Talent Partnership · /initiative TP-SN-2026" in text
    )
    assert "TP-GH-2026" not in text
    assert "<b>Status changes</b>\n" in text
    assert "<code>MP-TN-2014</code> EU-Tunisia MP (renamed) · /initiative MP-TN-2014 → suspended" in text
    assert (
        "<code>AP-WB-2022</code> EU Action Plan on the Western Balkans · /initiative AP-WB-2022 → completed"
        in text
    )
    assert (
        "<b>Coming two weeks</b>\n2026-11-26 09:00 (Europe/Brussels) · Rabat Process senior officials" in text
    )
    assert "2026-12-06 08:00 (Europe/Brussels) · Western Balkans ministerial" in text
    assert "Too far ahead" not in text and "Already over" not in text
    assert (
        text.index("<b>New initiatives</b>")
        < text.index("<b>Status changes</b>")
        < text.index("<b>Coming two weeks</b>")
    )
    [_, scoped] = await queued(store, 102)
    assert scoped.dedupe_key == key(north_africa.id, T1)
    assert "0 new initiatives · 1 status change" in scoped.text
    assert "TP-SN-2026" not in scoped.text  # West Africa, not in the scope
    assert "MP-TN-2014" in scoped.text and "AP-WB-2022" not in scoped.text
    assert "Rabat Process senior officials" in scoped.text  # the Rabat Process is North African too
    assert "Western Balkans ministerial" not in scoped.text


BIG = 36  # initiatives with three updates each: several messages' worth, more than a digest shows
GIANT_UPDATES = 18  # and the most recent one has eighteen


async def test_a_big_week_is_capped_to_the_newest_initiatives_split_on_item_boundaries(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    sub = await subscribe(store, 101)
    await send_due(store, T0)
    async with store.uow() as uow:
        refs = [i.ref for i in sorted(await uow.initiatives.all(), key=lambda i: i.id)]
    normal, giant = refs[:BIG], refs[BIG]
    markers = {ref: [f"[item-{n:02d}-{k}]" for k in range(3)] for n, ref in enumerate(normal)}
    giant_markers = [f"[giant-{k:02d}]" for k in range(GIANT_UPDATES)]
    items = [(ref, f"{m} " + "progress & plans " * 14) for ref, found in markers.items() for m in found]
    items += [(giant, f"{m} " + "long report " * 30) for m in giant_markers]
    minute = dt.timedelta(minutes=1)
    await post_many(store, 102, [(ref, text, T0 + HOUR + n * minute) for n, (ref, text) in enumerate(items)])
    await send_due(store, T1)
    [_, row] = await queued(store, 101)
    parts = row.parts
    assert 2 <= len(parts) <= MAX_PARTS
    assert all(len(p) <= LIMIT for p in parts), [len(p) for p in parts]
    assert all(balanced(p) for p in parts)
    # The headline counts the whole week, whatever is shown.
    assert f"<b>{3 * BIG + GIANT_UPDATES:,} updates</b> on {BIG + 1:,} initiatives" in parts[0]
    # The most recent initiative first: its three newest updates, then a pointer to the rest.
    assert all(m in row.text for m in giant_markers[-3:])
    assert not any(m in row.text for m in giant_markers[:-3])
    assert f"+{GIANT_UPDATES - 3} more · /initiative {giant}" in row.text
    # Then the next most recent ones, each whole, in one message; none older than one left out.
    shown = [ref for ref in normal if f"<code>{ref}</code>" in row.text]
    assert 3 <= len(shown) < BIG
    assert shown == normal[BIG - len(shown) :]
    for ref in shown:
        holding = [p for p in parts if f"<code>{ref}</code>" in p]
        assert len(holding) == 1, ref
        assert all(m in holding[0] for m in markers[ref]), ref
        assert f"more · /initiative {ref}" not in row.text  # all three shown: nothing more to point to
    left = BIG - len(shown)
    closing = f"… and {left} more initiatives with updates: /initiative REF shows one, /initiatives lists"
    assert closing in parts[-1]
    starts = ("📰 ", "🌍 ", "📍 ", "<code>", "…")
    assert all(part.startswith(starts) for part in parts), [p[:60] for p in parts]
    # The sender sends every part once, in order, and nothing else to the member.
    await bot.deliver()
    sent = [str(c.params["text"]) for c in bot.api.sent("sendMessage", chat_id=101)]
    assert sent[-len(parts) :] == parts
    assert all(c.params.get("protect_content") in (None, False) for c in bot.api.sent(chat_id=101))
    assert [(r.dedupe_key, r.status) for r in await queued(store, 101)][-1] == (key(sub.id, T1), "sent")


# --- periods: no gap, no overlap ----------------------------------------------------------------------


# Per zone: (member, initiative in scope, three consecutive Monday 08:00 due times across its DST change)
ZONES = {
    "Europe/Brussels": (101, "MP-MA-2013", [utc(2026, 10, 19, 6), utc(2026, 10, 26, 7), utc(2026, 11, 2, 7)]),
    "America/New_York": (
        102,
        "MP-TN-2014",
        [utc(2026, 10, 26, 12), utc(2026, 11, 2, 13), utc(2026, 11, 9, 13)],
    ),
    "Asia/Tokyo": (103, "MP-MD-2008", [utc(2026, 10, 18, 23), utc(2026, 10, 25, 23), utc(2026, 11, 1, 23)]),
}


async def test_consecutive_digests_cover_their_periods_exactly(
    store: Store, people: dict[str, Identity]
) -> None:
    """An update at t1 - 1 s is in the digest due at t1, one at t1 in the next: never both, never neither."""
    subs: dict[str, Subscription] = {}
    for zone, (uid, ref, (first, second, third)) in ZONES.items():
        await set_member(store, uid, time_zone=zone)
        scope = Scope(everything=False, initiatives=(await initiative_id(store, ref),))
        subs[zone] = await subscribe(store, uid, scope=scope, now=first - 3 * DAY)
        assert subs[zone].next_due_at == first, zone
        edges = [first - SECOND, first, second - SECOND, second, third - SECOND]
        for n, at in enumerate(edges):
            await post(store, 101, ref, f"edge-{uid}-{n}", at)
    for now in sorted({due for _, _, dues in ZONES.values() for due in dues}):
        await send_due(store, now)
    for zone, (uid, _, (first, second, third)) in ZONES.items():
        sub = subs[zone]
        rows = await queued(store, uid)  # (Brussels and Tokyo also have the week after: nothing in it)
        assert [r.dedupe_key for r in rows[:3]] == [
            key(sub.id, first),
            key(sub.id, second),
            key(sub.id, third),
        ]
        found = [{n for n in range(5) if f"edge-{uid}-{n}" in r.text} for r in rows]
        assert found[:3] == [{0}, {1, 2}, {3, 4}], zone
        assert not any(found[3:]), zone
        assert [(a, b) for a, b, _ in (await runs(store, sub.id))[:3]] == [
            (first - WEEK, first),
            (first, second),
            (second, third),
        ]


# --- once per subscription and period: double runs and restarts --------------------------------------


async def test_a_double_fired_job_and_a_restart_queue_one_digest_per_period(
    store: Store, people: dict[str, Identity], database_url: str
) -> None:
    sub = await subscribe(store, 102)
    await post(store, 101, "MP-MA-2013", "once-only", T0 - HOUR)
    concurrent = await asyncio.gather(send_due(store, T0), send_due(store, T0))
    assert sorted(s.sent for s in concurrent) == [0, 1]
    again = await send_due(store, T0 + 5 * SECOND)
    assert again == digests.Sweep(0, 0, 0, 0)
    [row] = await queued(store, 102)
    assert row.dedupe_key == key(sub.id, T0)
    restarted = open_store(database_url)
    try:
        assert await send_due(restarted, T0 + HOUR) == digests.Sweep(0, 0, 0, 0)
        # A replica that had not seen the run yet (its row still due for the same period) finds it done.
        async with restarted.engine.begin() as connection:
            await connection.execute(
                sql_update(SubscriptionRow)
                .where(SubscriptionRow.id == sub.id)
                .values(next_due_at=T0, last_period_end=None)
            )
        assert (await send_due(restarted, T0 + HOUR)).already_done == 1
        # Even with the run's record gone, the outbox keeps one row per subscription and period.
        async with restarted.engine.begin() as connection:
            await connection.execute(delete(DigestRunRow).where(DigestRunRow.subscription_id == sub.id))
            await connection.execute(
                sql_update(SubscriptionRow)
                .where(SubscriptionRow.id == sub.id)
                .values(next_due_at=T0, last_period_end=None)
            )
        await send_due(restarted, T0 + HOUR)
        assert [r.dedupe_key for r in await queued(restarted, 102)] == [key(sub.id, T0)]
        assert (await stored(restarted, sub.id)).next_due_at == T1
    finally:
        await restarted.dispose()


async def test_a_restart_before_the_due_time_sends_nothing_early(
    bot: BotHarness, store: Store, people: dict[str, Identity], database_url: str
) -> None:
    queue = hold_jobs(bot)
    sub = await subscribe(store, 102)
    await post(store, 101, "MP-MA-2013", "not-early", T0 - DAY)
    assert await send_due(store, T0 - SECOND) == digests.Sweep(0, 0, 0, 0)
    await store.dispose()  # the bot goes down a second before the digest is due
    restarted = open_store(database_url)
    try:
        assert await send_due(restarted, T0 - SECOND) == digests.Sweep(0, 0, 0, 0)
        assert await queued(restarted) == []
        # Start-up rebuilds the job at the due time, and the sweep, from the store.
        bot.clock.current = T0 - SECOND
        assert await rebuild(bot.app) == 1
        [job] = queue.get_jobs_by_name(job_name(sub.id))
        assert job.next_t == T0
        [sweep] = queue.get_jobs_by_name("digest:sweep")
        assert job.job.misfire_grace_time is None and sweep.job.misfire_grace_time is None
        assert (await send_due(restarted, T0)).sent == 1
        [row] = await queued(restarted, 102)
        assert row.dedupe_key == key(sub.id, T0) and "not-early" in row.text
    finally:
        await restarted.dispose()


async def test_a_restart_while_sending_sends_the_queued_digest_once(
    bot: BotHarness, store: Store, people: dict[str, Identity], database_url: str
) -> None:
    sub = await subscribe(store, 102)
    await post(store, 101, "MP-MA-2013", "queued-before-the-crash", T0 - DAY)
    assert (await send_due(store, T0)).sent == 1  # queued; the process dies before its sender sends
    assert [r.status for r in await queued(store, 102)] == ["queued"]
    assert not bot.api.sent(chat_id=102)
    restarted = open_store(database_url)
    try:
        bot.clock.current = T0 + 10 * dt.timedelta(minutes=1)
        config = SenderConfig(limits=SenderConfig().limits.scaled(1000), workers=2)
        for _ in range(2):
            await Sender(bot.app.bot, restarted.uow, bot.clock, config, worker_id="after-restart").drain()
            assert await send_due(restarted, bot.clock.now()) == digests.Sweep(0, 0, 0, 0)
        sent = bot.api.sent(chat_id=102)
        assert len(sent) == 1
        assert "queued-before-the-crash" in str(sent[0].params["text"])
        assert [(r.dedupe_key, r.status) for r in await queued(restarted, 102)] == [(key(sub.id, T0), "sent")]
    finally:
        await restarted.dispose()


@pytest.mark.parametrize(
    ("late", "outcome"),
    [
        pytest.param(24 * HOUR, "sent", id="24h-late"),
        pytest.param(24 * HOUR + SECOND, "missed", id="24h+1s-late"),
    ],
)
async def test_a_digest_late_within_the_grace_is_sent_beyond_it_missed_and_the_gap_covered(
    store: Store, people: dict[str, Identity], database_url: str, late: dt.timedelta, outcome: str
) -> None:
    sub = await subscribe(store, 102)
    await post(store, 101, "MP-MA-2013", "first-week", T0 - DAY)
    assert (await send_due(store, T0)).sent == 1
    await post(store, 101, "MP-MA-2013", "second-week", T1 - HOUR)
    await post(store, 101, "MP-MA-2013", "third-week", T1 + 4 * DAY)
    await store.dispose()  # down from before T1 until T1 + late
    restarted = open_store(database_url)
    try:
        sweep = await send_due(restarted, T1 + late)
        assert (sweep.sent, sweep.missed) == ((1, 0) if outcome == "sent" else (0, 1))
        assert (await stored(restarted, sub.id)).next_due_at == T2
        assert await send_due(restarted, T1 + late) == digests.Sweep(0, 0, 0, 0)
        await send_due(restarted, T2)
        rows = await queued(restarted, 102)
        periods = [(a, b, c) for a, b, c in await runs(restarted, sub.id)]
        if outcome == "sent":
            assert [r.dedupe_key for r in rows] == [key(sub.id, T0), key(sub.id, T1), key(sub.id, T2)]
            assert "second-week" in rows[1].text and "third-week" not in rows[1].text
            assert "third-week" in rows[2].text and "second-week" not in rows[2].text
            assert periods[1:] == [(T0, T1, "sent"), (T1, T2, "sent")]
        else:
            assert [r.dedupe_key for r in rows] == [key(sub.id, T0), key(sub.id, T2)]
            assert "second-week" in rows[1].text and "third-week" in rows[1].text  # the gap is covered
            assert "first-week" not in rows[1].text
            assert periods[1:] == [(T0, T1, "missed"), (T0, T2, "sent")]
    finally:
        await restarted.dispose()


async def test_a_missed_first_digest_is_covered_by_the_next(
    store: Store, people: dict[str, Identity]
) -> None:
    """No digest was ever sent: the next one still starts where the missed one would have."""
    sub = await subscribe(store, 102)
    await post(store, 101, "MP-MA-2013", "in-the-missed-first-period", T0 - DAY)
    assert (await send_due(store, T0 + 2 * DAY)).missed == 1
    await send_due(store, T1)
    [row] = await queued(store, 102)
    assert row.dedupe_key == key(sub.id, T1)
    assert "in-the-missed-first-period" in row.text
    assert [(a, b, c) for a, b, c in await runs(store, sub.id)] == [
        (T0 - WEEK, T0, "missed"),
        (T0 - WEEK, T1, "sent"),
    ]


# --- who receives nothing -----------------------------------------------------------------------------


async def test_revoked_members_and_paused_subscriptions_receive_nothing(
    store: Store, people: dict[str, Identity]
) -> None:
    await register(store, 201, Role.CONTACT, "DE", "Dora")
    leaving = await subscribe(store, 201)
    paused = await subscribe(store, 102)
    control = await subscribe(store, 101)
    await post(store, 101, "MP-MA-2013", "week-one", T0 - DAY)
    await send_due(store, T0)
    await set_member(store, 201, status="revoked")
    await digests.set_paused(store.uow, Actor(102), paused.id, True, T0 + DAY)
    await post(store, 101, "MP-MA-2013", "while-paused", T0 + 2 * DAY)
    sweep = await send_due(store, T1)
    assert sweep == digests.Sweep(1, 0, 0, 0)  # the admin's only
    assert [r.dedupe_key for r in await queued(store, 201)] == [key(leaving.id, T0)]
    assert [r.dedupe_key for r in await queued(store, 102)] == [key(paused.id, T0)]
    assert [r.dedupe_key for r in await queued(store, 101)][-1] == key(control.id, T1)
    assert len(await runs(store, leaving.id)) == len(await runs(store, paused.id)) == 1
    # Resumed a day after its missed week: the next digest covers everything since the last one.
    resumed = await digests.set_paused(store.uow, Actor(102), paused.id, False, T1 + DAY)
    assert not resumed.paused and resumed.next_due_at == T2
    await post(store, 101, "MP-MA-2013", "after-resuming", T1 + 2 * DAY)
    await send_due(store, T2)
    [_, row] = await queued(store, 102)
    assert row.dedupe_key == key(paused.id, T2)
    assert "while-paused" in row.text and "after-resuming" in row.text and "week-one" not in row.text
    assert (await runs(store, paused.id))[-1] == (T0, T2, "sent")
    assert [r.dedupe_key for r in await queued(store, 201)] == [key(leaving.id, T0)]


async def test_a_quiet_period_sends_nothing_or_a_short_nothing_new(
    store: Store, people: dict[str, Identity]
) -> None:
    quiet = Scope(everything=False, initiatives=(await initiative_id(store, "RA-HK-2004"),))
    silent = await subscribe(store, 102, scope=quiet, send_empty=False)
    told = await subscribe(store, 101, scope=quiet, send_empty=True)
    await post(store, 101, "MP-MA-2013", "not-in-scope", T0 - DAY)
    assert await send_due(store, T0) == digests.Sweep(1, 1, 0, 0)
    assert await queued(store, 102) == []
    assert [(a, b, c) for a, b, c in await runs(store, silent.id)] == [(T0 - WEEK, T0, "empty")]
    [row] = await queued(store, 101)
    assert row.dedupe_key == key(told.id, T0)
    assert row.parts == [f"📰 <b>EMWP digest</b> · 2026-11-09 → 2026-11-16: {NOTHING_NEW}"]
    # The quiet week counts as done: the next digest covers only the week after it.
    await post(store, 101, "RA-HK-2004", "hong-kong-news", T0 + DAY)
    await send_due(store, T1)
    [row] = await queued(store, 102)
    assert row.dedupe_key == key(silent.id, T1) and "hong-kong-news" in row.text
    assert (await stored(store, silent.id)).last_period_end == T1


# --- the JobQueue: a late job still runs --------------------------------------------------------------


async def _scheduled_in_the_past(bot: BotHarness, store: Store) -> tuple[Subscription, Any]:
    queue = hold_jobs(bot)
    sub = await subscribe(store, 101, frequency=Frequency.DAILY, now=NOW - DAY)
    assert sub.next_due_at == utc(2026, 11, 27, 7)  # 08:00 Brussels
    await post(store, 102, "MP-MA-2013", "late-but-sent", NOW - 3 * HOUR)  # before the due time
    bot.clock.current = NOW  # 09:30 UTC: the job's time has passed (and is in the wall clock's past)
    job = schedule(queue, sub, NOW)
    assert job is not None and job.name == job_name(sub.id)
    return sub, job


async def test_a_job_scheduled_in_the_past_keeps_no_misfire_grace_and_sends_when_run(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    sub, job = await _scheduled_in_the_past(bot, store)
    assert JOB_KWARGS["misfire_grace_time"] is None
    assert job.job.misfire_grace_time is None and job.job.coalesce is True
    assert job.next_t == NOW
    assert job.next_t < dt.datetime.now(UTC)  # truly late for APScheduler
    await job.run(bot.app)
    await bot.deliver()
    [sent] = bot.api.sent(chat_id=101)
    assert "late-but-sent" in str(sent.params["text"])
    [after] = bot.app.job_queue.get_jobs_by_name(job_name(sub.id))  # type: ignore[union-attr]
    assert after.next_t == utc(2026, 11, 28, 7)
    await job.run(bot.app)  # fired twice
    await after.run(bot.app)  # and the next one early
    await bot.deliver()
    assert len(bot.api.sent(chat_id=101)) == 1
    assert [r.dedupe_key for r in await queued(store, 101)] == [key(sub.id, utc(2026, 11, 27, 7))]


async def test_jobs_due_together_share_one_sweep_and_each_is_moved_on_once(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    """Monday 08:00 is everyone's default: the first job sends every digest due and reschedules every
    subscription it moved on; the other jobs, run after it, send nothing more."""
    queue = hold_jobs(bot)
    for telegram_id, code, name in ((201, "DE", "Dora"), (202, "IT", "Ivo"), (203, "ES", "Eva")):
        await register(store, telegram_id, Role.CONTACT, code, name)
    subs = [await subscribe(store, who) for who in (101, 102, 201, 202, 203)]
    assert {s.next_due_at for s in subs} == {T0}
    await post(store, 101, "MP-MA-2013", "shared-monday", T0 - DAY)
    bot.clock.current = T0 + SECOND
    jobs = [schedule(queue, s, T0) for s in subs]
    assert all(job is not None for job in jobs)

    first = jobs[0]
    assert first is not None
    await first.run(bot.app)
    assert sorted(r.dedupe_key for r in await queued(store)) == sorted(key(s.id, T0) for s in subs)
    for sub in subs:
        [job] = queue.get_jobs_by_name(job_name(sub.id))
        assert job.next_t == T1, "each subscription the sweep moved on is rescheduled by it"
        assert (await stored(store, sub.id)).next_due_at == T1
    for job in jobs[1:]:
        assert job is not None
        await job.run(bot.app)  # fired at 08:00 too, run after the first: nothing left to send
    assert len(await queued(store)) == len(subs)
    assert all(len(queue.get_jobs_by_name(job_name(s.id))) == 1 for s in subs)


async def test_the_scheduler_runs_a_late_job_instead_of_skipping_it(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    sub, job = await _scheduled_in_the_past(bot, store)
    queue = bot.app.job_queue
    assert queue is not None
    scheduler = queue.scheduler
    done = asyncio.Event()
    seen: list[int] = []

    def listen(event: JobEvent) -> None:
        if event.job_id != job.job.id:
            return
        seen.append(event.code)
        if event.code == EVENT_JOB_SUBMITTED:
            scheduler.pause()  # run this one only: the job reschedules itself
        else:
            done.set()

    scheduler.add_listener(
        listen, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR
    )
    try:
        scheduler.resume()
        await asyncio.wait_for(done.wait(), timeout=10)
    finally:
        scheduler.remove_listener(listen)
    assert seen == [EVENT_JOB_SUBMITTED, EVENT_JOB_EXECUTED]
    await bot.deliver()
    [sent] = bot.api.sent(chat_id=101)
    assert "late-but-sent" in str(sent.params["text"])
    assert (await stored(store, sub.id)).next_due_at == utc(2026, 11, 28, 7)
