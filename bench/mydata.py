"""/mydata for a busy member: time from the command to the file, through the real application.

What is measured: a store (migrated, seeded, the demo members registered) gets, by Core bulk inserts
(untimed), a member who posted `--updates` updates (a tenth of them edited, some TLP:RED with readers),
follows, a subscription with a year of daily digest runs, audit entries for each post and edit, and
`--received` finished outbox rows to their chat (digests, notices, alerts, each with a text payload); and
`--background` more outbox rows to other chats, so that the person's rows are found among many. The
member then sends `/mydata` to the REAL application (`bot.app.build_application`, Bot API answered
in-process) through `process_update`: summary message, JSON document (sendDocument). Each run is timed
from the update to the last call; `/help` by the same member is measured beside it as the floor of any
command. The file of the first run is checked once: one record per update and per message received.

    python -m bench.mydata [--updates N] [--received N] [--background N] [--runs R] [--database URL]

No time is asserted; the issue's target is under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import random
import statistics
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, text

from bench.help_throughput import fresh_database, prepared_store
from bot.app import build_application
from bot.clock import SystemClock
from bot.console.botapi import InProcessBotApi
from bot.console.updates import Identity, UpdateFactory
from bot.settings import load_settings
from storage.factory import Store
from storage.models import (
    AuditRow,
    DigestRunRow,
    FollowRow,
    InitiativeRow,
    MemberRow,
    OutboxRow,
    SubscriptionRow,
    UpdateEditRow,
    UpdateRow,
    update_readers,
)

TOKEN = "7000000003:bench"  # noqa: S105  (the in-process Bot API accepts any token)
SUBJECT = 880_000_001
TARGET_S = 2.0
BATCH = 5000
DAY = dt.timedelta(days=1)
PAYLOAD = {
    "parts": ["📰 <b>EMWP digest</b> · " + "Rabat process, senior officials met. " * 30],
    "protect": False,
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.mydata", description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=1000, help="updates the member posted (1000)")
    parser.add_argument("--received", type=int, default=5000, help="messages sent to the member (5000)")
    parser.add_argument("--background", type=int, default=200_000, help="messages to others (200000)")
    parser.add_argument("--runs", type=int, default=5, help="timed /mydata runs (5)")
    parser.add_argument("--database", help="postgresql:// or sqlite:// URL (default: temporary SQLite)")
    return parser.parse_args(argv)


async def insert_all(conn: Any, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk insert in batches; the new ids when the table has them."""
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        if hasattr(table, "id"):
            ids += list(await conn.scalars(insert(table).returning(table.id), chunk))
        else:
            await conn.execute(insert(table), chunk)
    return ids


async def generate(store: Store, args: argparse.Namespace) -> int:
    """The busy member and everything about them; their member id."""
    rng, now = random.Random(1), SystemClock().now()
    async with store.engine.begin() as conn:
        [member_id] = await insert_all(conn, MemberRow, [_member(now)])
        initiatives = list(await conn.scalars(select(InitiativeRow.id)))
        posted = [
            _update(member_id, rng.choice(initiatives), n, now - n * DAY / 3) for n in range(args.updates)
        ]
        update_ids = await insert_all(conn, UpdateRow, posted)
        red = [u for u, row in zip(update_ids, posted, strict=True) if row["tlp"] == "TLP:RED"]
        await insert_all(conn, update_readers, [{"update_id": u, "delegation_code": "DE"} for u in red])
        edited = update_ids[::10]
        await insert_all(conn, UpdateEditRow, [_edit(u, member_id, now) for u in edited])
        audit = [_audit(member_id, "update.posted", f"update {u}", now) for u in update_ids]
        await insert_all(
            conn, AuditRow, audit + [_audit(member_id, "update.edited", f"update {u}", now) for u in edited]
        )
        await insert_all(conn, FollowRow, [_follow(member_id, str(i), now) for i in initiatives[:20]])
        [subscription] = await insert_all(conn, SubscriptionRow, [_subscription(member_id, now)])
        runs = [_run(subscription, now - n * DAY) for n in range(1, 366)]
        await insert_all(conn, DigestRunRow, runs)
        mine = [_message(SUBJECT, member_id, n, now - (n % 300) * DAY) for n in range(args.received)]
        others = [
            _message(900_000_000 + n % 9000, None, args.received + n, now) for n in range(args.background)
        ]
        await insert_all(conn, OutboxRow, mine)
        await insert_all(conn, OutboxRow, others)
        if store.backend == "postgresql":
            await conn.execute(text("ANALYZE"))
    return member_id


def _member(now: dt.datetime) -> dict[str, Any]:
    return {
        "telegram_user_id": SUBJECT,
        "chat_id": SUBJECT,
        "display_name": "Busy Member",
        "delegation_code": "FR",
        "role": "contact",
        "status": "active",
        "language": "en",
        "time_zone": "Europe/Paris",
        "reachable": True,
        "created_at": now - 800 * DAY,
        "updated_at": now,
    }


def _update(author: int, initiative: int, n: int, at: dt.datetime) -> dict[str, Any]:
    tlp = ("TLP:GREEN", "TLP:GREEN", "TLP:CLEAR", "TLP:AMBER", "TLP:RED")[n % 5]
    words = f"Update {n}: the dialogue with the partner country moved on; senior officials met. " * 4
    return {
        "initiative_id": initiative,
        "kind": "progress",
        "text": words,
        "tlp": tlp,
        "author_id": author,
        "delegation_code": "FR",
        "created_at": at,
        "client_key": f"bench-{n}",
    }


def _edit(update_id: int, editor: int, now: dt.datetime) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "text_before": "An earlier text " * 10,
        "edited_by": editor,
        "edited_at": now,
    }


def _audit(actor: int, action: str, subject: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "at": now,
        "actor_id": actor,
        "action": action,
        "subject": subject,
        "details": {"tlp": "TLP:GREEN"},
    }


def _follow(member: int, target: str, now: dt.datetime) -> dict[str, Any]:
    return {"member_id": member, "kind": "initiative", "target": target, "created_at": now}


def _subscription(member: int, now: dt.datetime) -> dict[str, Any]:
    scope = {"everything": True, "regions": [], "countries": [], "types": [], "initiatives": []}
    return {
        "member_id": member,
        "scope": scope,
        "frequency": "daily",
        "weekday": 0,
        "at": "08:00",
        "send_empty": True,
        "paused": False,
        "next_due_at": now + DAY,
        "created_at": now - 400 * DAY,
        "updated_at": now,
    }


def _run(subscription: int, end: dt.datetime) -> dict[str, Any]:
    return {
        "subscription_id": subscription,
        "period_start": end - DAY,
        "period_end": end,
        "outcome": "sent",
        "items": 12,
        "created_at": end,
    }


def _message(chat: int, member: int | None, n: int, at: dt.datetime) -> dict[str, Any]:
    return {
        "chat_id": chat,
        "member_id": member,
        "kind": ("digest", "notice", "follow")[n % 3],
        "job": None,
        "dedupe_key": f"bench:{n}",
        "payload": PAYLOAD,
        "parts_sent": 1,
        "status": "sent",
        "attempts": 1,
        "not_before": at,
        "in_flight": False,
        "maybe_duplicate": False,
        "message_ids": {"ids": [n]},
        "created_at": at,
        "sent_at": at,
        "updated_at": at,
    }


async def measure(store: Store, runs: int) -> tuple[list[float], list[float], dict[str, Any]]:
    """/mydata and /help by the busy member, `runs` times each; the first file, decoded."""
    who = Identity(SUBJECT, "Busy Member")
    api = InProcessBotApi()
    app = build_application(load_settings(), store, request=api, token=TOKEN, deliver=False)
    mydata: list[float] = []
    help_times: list[float] = []
    exported: dict[str, Any] = {}
    async with app:
        factory = UpdateFactory(app.bot)
        for run in range(runs + 1):  # the first run warms the caches and is checked, not counted
            for command, times in (("/mydata", mydata), ("/help", help_times)):
                before = len(api.calls)
                started = time.perf_counter()
                await app.process_update(factory.message(who, command))
                elapsed = time.perf_counter() - started
                if run:
                    times.append(elapsed)
                elif command == "/mydata":
                    [document] = [c for c in api.calls[before:] if c.method == "sendDocument"]
                    exported = json.loads(document.params["_files"]["document"][1])
    return mydata, help_times, exported


async def run(args: argparse.Namespace) -> int:
    """Generate, measure, check, print."""
    async with fresh_database(args.database) as url, prepared_store(url) as store:
        started = time.perf_counter()
        await generate(store, args)
        generated = time.perf_counter() - started
        mydata, help_times, exported = await measure(store, args.runs)
        backend = store.backend
    tables = exported.get("tables", {})
    wrong = len(tables.get("updates", [])) != args.updates or len(tables.get("outbox", [])) != args.received
    size = len(json.dumps(exported, ensure_ascii=False).encode()) / 1024 / 1024
    print(
        f"/mydata on {backend}: {args.updates} updates, {args.received} messages received, "
        f"{args.background} other messages in the outbox (generated in {generated:.1f} s)"
    )
    print(f"  file: {sum(len(v) for v in tables.values())} records, {size:.1f} MB of JSON")
    print(
        f"  /mydata: median {statistics.median(mydata) * 1000:.0f} ms, max {max(mydata) * 1000:.0f} ms "
        f"over {len(mydata)} runs (target < {TARGET_S:.0f} s)"
    )
    print(f"  /help (floor of any command): median {statistics.median(help_times) * 1000:.1f} ms")
    if wrong:
        print("  WRONG: the file does not hold every update and every message received")
    return 1 if wrong else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark."""
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
