"""Consultation rounds: the compilation at the deadline, and the reminder sweep over many open rounds.

What is measured, on a fresh, migrated, seeded store with two contacts in every delegation:

1. A query of 10 free-text questions asked of every delegation but the launcher's, answered by 30 of them
   with 2,000 characters a question: `compile_due` at the deadline (mark compiled, make the spreadsheet
   and the word-processor document, one message and two documents per member who may read the
   compilation's label, all queued in one transaction): seconds from the deadline, SQL statements.
2. The reminder sweep (`remind_due`) with N open rounds (10 and `--rounds`, default 100), each asking every
   delegation, all at their '3 days before' stage: seconds and SQL statements of the sweep that queues
   the reminders, and of the next one (nothing left to send). The statements must not grow with rounds ×
   delegations × members.

    python -m bench.rounds [--rounds N] [--database URL]

Without --database a SQLite file in a temporary folder is used; a postgresql:// URL gets a temporary
database on that server, dropped at the end. No time is asserted; a wrong outcome exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import secrets
import sys
import time
from collections import Counter
from typing import Any

from sqlalchemy import event, func, select

from bench.help_throughput import fresh_database
from bot.commands.common import prepare_store
from bot.domain.rounds import Question, Reply, RoundDraft, RoundKind
from bot.domain.vocab import Role, Tlp
from bot.services.actors import Actor
from bot.services.round_answers import answer
from bot.services.round_deadlines import Reminded, compile_due, remind_due
from bot.services.rounds import launch
from handlers.rounds_messages import RoundMessenger, document_labels
from storage.factory import Store, open_store
from storage.models import OutboxRow

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
MESSENGER = RoundMessenger()


class Statements:
    """Counts statements sent to the database while on (an executemany counts once)."""

    def __init__(self, store: Store) -> None:
        self.counts: Counter[str] = Counter()
        self.on = False
        event.listen(store.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if self.on:
            self.counts[statement.lstrip().split(None, 1)[0].upper()] += 1

    def total(self) -> int:
        return sum(self.counts.values())


async def members(store: Store) -> dict[str, list[int]]:
    """Two contacts in every delegation; their Telegram ids by delegation."""
    by_code: dict[str, list[int]] = {}
    async with store.uow() as uow:
        codes = [d.code for d in await uow.catalog.delegations()]
        user = 10_000
        for code in codes:
            for _ in range(2):
                user += 1
                await uow.members.add(
                    telegram_user_id=user,
                    chat_id=user,
                    display_name=f"Contact {user}",
                    delegation_code=code,
                    role=Role.CONTACT,
                    language="en",
                    time_zone="Europe/Brussels",
                    now=NOW,
                )
                by_code.setdefault(code, []).append(user)
        await uow.commit()
    return by_code


def draft(asked: tuple[str, ...], deadline: dt.datetime, questions: int, title: str) -> RoundDraft:
    return RoundDraft(
        key=secrets.token_hex(8),
        kind=RoundKind.QUERY,
        title=title,
        background="Background of the query. " * 20,
        questions=tuple(Question(f"Question {n}: how does it work in practice?") for n in range(questions)),
        delegations=asked,
        question_tlp=Tlp.GREEN,
        answer_tlp=Tlp.AMBER,
        deadline=deadline,
        zone="Europe/Brussels",
    )


async def compilation(store: Store, people: dict[str, list[int]]) -> bool:
    launcher = Actor(people["FR"][0])
    asked = tuple(sorted(c for c in people if c != "FR"))
    deadline = NOW + dt.timedelta(days=14)
    rnd, _ = await launch(store.uow, launcher, draft(asked, deadline, 10, "Readmission"), NOW, MESSENGER)
    text = ("Practice of readmission and identification missions. " * 40)[:2000]
    for code in asked[:30]:
        values = tuple(f"{code} {n}: {text}"[:2000] for n in range(10))
        await answer(store.uow, Actor(people[code][0]), rnd.id, Reply.ANSWERED, values, NOW)
    counter = Statements(store)
    counter.on = True
    started = time.perf_counter()
    made = await compile_due(store.uow, deadline, MESSENGER, document_labels)
    seconds = time.perf_counter() - started
    counter.on = False
    async with store.uow() as uow:
        file_sizes = [len((await uow.rounds.file(i) or ("", b""))[1]) for i in (1, 2)]
    async with store.engine.connect() as connection:
        rows = await connection.scalar(
            select(func.count())
            .select_from(OutboxRow)
            .where(OutboxRow.job == rnd.job, OutboxRow.dedupe_key.like("%compiled%"))
        )
    print(
        f"compilation: {len(asked)} delegations asked, 30 answered × 10 questions × 2,000 characters: "
        f"made and queued {seconds:.3f} s after the deadline, {counter.total()} SQL statements "
        f"({dict(counter.counts)}), {rows} outbox rows, spreadsheet {file_sizes[0] / 1024:.0f} KiB, "
        f"document {file_sizes[1] / 1024:.0f} KiB"
    )
    return len(made) == 1 and bool(rows)


async def sweep(store: Store, people: dict[str, list[int]], count: int) -> bool:
    asked = tuple(sorted(c for c in people if c != "FR"))
    start = NOW + dt.timedelta(days=1)
    deadline = start + dt.timedelta(days=20)
    for n in range(count):
        await launch(
            store.uow, Actor(people["FR"][0]), draft(asked, deadline, 3, f"Round {n}"), start, MESSENGER
        )
    at = deadline - dt.timedelta(days=3) + dt.timedelta(minutes=1)
    counter = Statements(store)
    figures: list[tuple[float, int, Reminded]] = []
    kinds: dict[str, int] = {}
    for _ in range(2):
        counter.counts.clear()
        counter.on = True
        started = time.perf_counter()
        done = await remind_due(store.uow, at, MESSENGER)
        figures.append((time.perf_counter() - started, counter.total(), done))
        kinds = dict(counter.counts) if not figures[1:] else kinds
        counter.on = False
    (first_s, first_sql, first), (second_s, second_sql, second) = figures
    print(
        f"reminder sweep, {count} open rounds × {len(asked)} delegations: {first.messages} reminders "
        f"queued in {first_s:.3f} s, {first_sql} SQL statements {kinds}; the next sweep {second_s:.3f} s, "
        f"{second_sql} statements"
    )
    return first.messages == count * len(asked) * 2 and second.messages == 0


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--database")
    args = parser.parse_args(argv)
    ok = True
    for count in (10, args.rounds):
        async with fresh_database(args.database) as url:
            store = open_store(url)
            try:
                await prepare_store(store)
                people = await members(store)
                if count == 10:
                    ok &= await compilation(store, people)
                ok &= await sweep(store, people, count)
            finally:
                await store.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
