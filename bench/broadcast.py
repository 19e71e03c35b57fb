"""A notice to N members sent from `/broadcast` itself, then delivered by the real Sender at the limits.

What is measured: a store (migrated, seeded, the demo members registered) gets more active members
over the 36 delegations (Core bulk insert, untimed), so that "everyone" is N people. The demo admin then
drives the REAL application (`bot.app.build_application`, Bot API answered in-process) through
`process_update` exactly as in a chat: `/broadcast`, the formatted text, the "Everyone" button, "Now",
and the preview's "📢 Send to N" button. That press writes the notice, its N outbox rows and the audit
entry in one transaction (timed). The REAL `engines.sender.Sender` then sends the outbox, through a real
`telegram.Bot`, to `tests.fakes.FakeTelegram` on loopback, which enforces 30 msg/s overall and 1/s per
chat (`--scale` multiplies every rate), until nothing is queued. Finally `/notices` is sent through the
application and its report for the notice is printed.

Reported, as in `bench.delivery` (the delivery-engine benchmark), with the confirm press (the one
transaction that writes the notice and its N outbox rows) in the "enqueue" row: wall time from the first
send to the last delivery, messages/s and its share of the limit, 429s, duplicates, losses (members never
reached, outbox rows not `sent`), traced peak memory while sending, max RSS, client CPU per message; and
the handling time of each step of the flow.

    python -m bench.broadcast [--recipients N] [--scale S] [--database URL] [--pool P] [--no-tracemalloc]

Exit status 1 if a member was not reached, reached twice, or the notice's report disagrees.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import random
import re
import time
import tracemalloc
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from bench.delivery import Outcome, check_cpu, engine_sends, fmt, not_sent, report
from bench.help_throughput import fresh_database, prepared_store
from bot.app import build_application
from bot.clock import SystemClock
from bot.console.botapi import InProcessBotApi
from bot.console.updates import Identity, UpdateFactory
from bot.services.demo import DEMO_PEOPLE
from bot.settings import load_settings
from storage.factory import Store
from storage.models import DelegationRow, MemberRow

# Not a secret: the in-process Bot API and the fake accept any token.
TOKEN = "7000000002:bench"  # noqa: S105
FIRST_MEMBER_CHAT = 700_000_000
BATCH = 2000
NOTICE = (
    "Plenary moved to Thursday 12 June, 14:00 CET. Same agenda: the progress report and the exchange of "
    "views on the pact implementation plans. Documents are in the meeting folder; delegations wishing "
    "to speak are asked to register by Wednesday 17:00 CET. Reply /upcoming for every meeting in your "
    "time zone."
)
BOLD = "Plenary moved to Thursday 12 June, 14:00 CET."


@dataclass(frozen=True)
class Flow:
    """What driving /broadcast took and showed."""

    steps_ms: dict[str, float]  # handling time of each update of the flow
    shown: int  # recipients the preview's button names
    queued: str  # the confirmation's first line
    notices: str  # /notices afterwards: the notice's report


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000, help="members, the audience (10000)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every rate limit (default 1)")
    parser.add_argument("--database", help="postgresql:// or sqlite:// URL (default: temporary SQLite)")
    parser.add_argument("--pool", type=int, default=16, help="HTTP connections of the sender (default 16)")
    parser.add_argument("--no-tracemalloc", dest="trace", action="store_false", help="leave tracemalloc off")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated members (1)")
    args = parser.parse_args(argv)
    if args.recipients < len(DEMO_PEOPLE) or args.scale <= 0 or args.pool < 1:
        parser.error(f"--recipients must be at least {len(DEMO_PEOPLE)}; --scale and --pool positive")
    return args


async def add_members(store: Store, total: int, seed: int) -> list[int]:
    """Active members until `total` are registered; every active member's chat id."""
    rng = random.Random(seed)
    now = SystemClock().now()
    async with store.engine.begin() as conn:
        codes = sorted(await conn.scalars(select(DelegationRow.code)))
        have = len(list(await conn.scalars(select(MemberRow.id).where(MemberRow.status == "active"))))
        rows: list[dict[str, Any]] = [
            {
                "telegram_user_id": FIRST_MEMBER_CHAT + n,
                "chat_id": FIRST_MEMBER_CHAT + n,
                "display_name": f"Member {n:05d}",
                "delegation_code": rng.choice(codes),
                "role": rng.choices(("contact", "observer", "admin"), weights=(85, 12, 3))[0],
                "status": "active",
                "language": "fr" if rng.random() < 0.3 else "en",
                "time_zone": "Europe/Brussels",
                "reachable": True,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(total - have)
        ]
        for first in range(0, len(rows), BATCH):
            await conn.execute(insert(MemberRow), rows[first : first + BATCH])
        chats = await conn.scalars(
            select(MemberRow.chat_id).where(MemberRow.status == "active", MemberRow.chat_id.is_not(None))
        )
        return sorted(int(c) for c in chats if c is not None)


def newest_buttons(api: InProcessBotApi, chat_id: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The newest message with inline buttons in the chat, and its buttons: label → callback data."""
    message = [m for m in api.chat(chat_id).messages.values() if m.get("reply_markup")][-1]
    rows = message["reply_markup"]["inline_keyboard"]
    return message, {b["text"]: b.get("callback_data", "") for row in rows for b in row}


def last_text(api: InProcessBotApi, chat_id: int) -> str:
    """The text of the bot's newest sent or edited message in the chat."""
    calls = [c for c in api.calls if c.method in ("sendMessage", "editMessageText")]
    texts = [str(c.params.get("text", "")) for c in calls if c.params.get("chat_id") == chat_id]
    return texts[-1] if texts else ""


async def drive_broadcast(store: Store) -> Flow:
    """The demo admin's /broadcast to everyone, now, through the real application; /notices after sending."""
    person = next(p for p in DEMO_PEOPLE if p.key == "admin")
    admin = Identity(person.telegram_user_id, person.name)
    api = InProcessBotApi()
    app = build_application(load_settings(), store, request=api, token=TOKEN, deliver=False)
    steps: dict[str, float] = {}
    async with app:
        factory = UpdateFactory(app.bot)
        chat = int(admin.chat["id"])

        async def step(label: str, update: Any) -> str:
            before = time.perf_counter()
            await app.process_update(update)
            steps[label] = (time.perf_counter() - before) * 1000
            return last_text(api, chat)

        async def press(label: str) -> str:
            message, found = newest_buttons(api, chat)
            key = next((text for text in found if text.startswith(label)), None)
            if key is None:
                raise SystemExit(f"no button {label!r} among {list(found)}")
            return await step(f"tap “{key}”", factory.callback(admin, message, found[key]))

        await step("/broadcast", factory.message(admin, "/broadcast"))
        body = factory.message(admin, NOTICE)
        assert body.message is not None
        payload = body.message.to_dict()
        payload["entities"] = [{"type": "bold", "offset": 0, "length": len(BOLD)}]
        await step("the text", factory.raw({"message": payload}))
        await press("Everyone")
        await press("Now")
        _, found = newest_buttons(api, chat)
        label = next((text for text in found if text.startswith("📢 Send to")), "")
        shown = int(re.sub(r"\D", "", label) or 0)
        queued = await press("📢 Send to")
    return Flow(steps, shown, queued.splitlines()[0] if queued else "", "")


async def notices_report(store: Store) -> str:
    """/notices from the admin, after sending: the newest notice's report."""
    person = next(p for p in DEMO_PEOPLE if p.key == "admin")
    admin = Identity(person.telegram_user_id, person.name)
    api = InProcessBotApi()
    app = build_application(load_settings(), store, request=api, token=TOKEN, deliver=False)
    async with app:
        await app.process_update(UpdateFactory(app.bot).message(admin, "/notices"))
    return re.sub(r"<[^>]+>", "", last_text(api, int(admin.chat["id"])))


async def run(args: argparse.Namespace) -> tuple[Outcome, Flow, int]:
    """Members, the flow, the send, the report."""
    async with fresh_database(args.database) as url, prepared_store(url) as store:
        chats = await add_members(store, args.recipients, args.seed)
        flow = await drive_broadcast(store)
        outcome = await engine_sends(store, chats, args)
        unsent = await not_sent(store)
        check = await check_cpu(store)
        notices = await notices_report(store)
        label = f"/broadcast → Sender ({store.backend})"
    confirm_s = next(ms for step, ms in flow.steps_ms.items() if "Send to" in step) / 1000
    outcome = Outcome(
        **{**vars(outcome), "label": label, "enqueue_s": confirm_s, "not_sent": unsent, "check_ms": check}
    )
    return outcome, Flow(flow.steps_ms, flow.shown, flow.queued, notices), len(chats)


def run_in_child(args: argparse.Namespace) -> tuple[Outcome, Flow, int]:
    """Entry point of the child process."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("engines.sender").setLevel(logging.ERROR)  # 429s are counted, not logged
    # The application is driven by process_update alone: no JobQueue runs, so no flow times out.
    warnings.filterwarnings("ignore", message="Ignoring `conversation_timeout`")
    if args.trace:
        tracemalloc.start()
    return asyncio.run(run(args))


def main(argv: Sequence[str] | None = None) -> int:
    """Run in a fresh process (so RSS and CPU are its own), print the flow and the delivery table."""
    args = parse_args(argv)
    from bench import broadcast  # by its importable name: `python -m` runs this file as __main__

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        outcome, flow, members = pool.submit(broadcast.run_in_child, args).result()
    print(f"/broadcast by the demo admin to everyone, now: {members:,} active members")
    for label, ms in flow.steps_ms.items():
        print(f"  {label:<28} {fmt(ms, ',.1f'):>10} ms")
    print(f"  preview's button names {flow.shown:,} recipient(s); confirmation: {flow.queued}")
    print()
    print(report([outcome], argparse.Namespace(**{**vars(args), "peer": False})))
    print("\n/notices afterwards:\n  " + "\n  ".join(flow.notices.splitlines()[:6]))
    figures = re.search(r"Recipients ([\d,]+) · sent ([\d,]+)", flow.notices)
    reported = tuple(int(n.replace(",", "")) for n in figures.groups()) if figures else ()
    if flow.shown != members or reported != (members, members):
        print(f"\nWRONG: {members:,} members, the preview named {flow.shown:,}, /notices says {reported}")
        return 1
    return 1 if outcome.lost or outcome.duplicates or outcome.not_sent else 0


if __name__ == "__main__":
    raise SystemExit(main())
