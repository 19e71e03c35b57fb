"""Rounds in time: reminders at the right local times across a clock change, each once and none after an
answer, rearmed by an extension; a compilation due while the bot was down made on its return, once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from bot.console.updates import Identity
from bot.domain.vocab import Role
from handlers.context import DEPS_KEY
from handlers.rounds_jobs import schedule_rounds, sweep
from storage.factory import Store
from storage.models import MemberRow, OutboxRow
from tests.bot.flows import tap
from tests.bot.test_rounds import launch_query, run_sweep, to
from tests.conftest import register
from tests.harness import BotHarness, FixedClock

UTC = dt.UTC


async def reminders_at(bot: BotHarness, when: dt.datetime) -> dict[int, list[str]]:
    """Run the sweep at `when`; the reminder texts sent, by chat."""
    bot.clock.current = when
    before = len(bot.api.calls)
    await run_sweep(bot)
    found: dict[int, list[str]] = {}
    for call in bot.api.calls[before:]:
        if call.method == "sendMessage":
            found.setdefault(int(call.params["chat_id"]), []).append(str(call.params["text"]))
    return found


async def test_reminders_at_local_times_across_the_clock_change(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    bot.clock.current = dt.datetime(2027, 3, 20, 9, 0, tzinfo=UTC)  # winter time in Brussels
    await register(store, 201, Role.CONTACT, "DE")
    await register(store, 202, Role.CONTACT, "IT")
    await register(store, 203, Role.CONTACT, "EL")
    async with store.engine.begin() as connection:
        await connection.execute(
            update(MemberRow).where(MemberRow.telegram_user_id == 203).values(time_zone="Europe/Lisbon")
        )
    await launch_query(
        bot, people["contact"], ["DE", "EL", "IT"], "TLP:GREEN", "TLP:GREEN", "2027-03-30 17:00"
    )
    it = Identity(202, "Member")
    await tap(bot, it, "🗳 Open the round")
    await tap(bot, it, "Not applicable")

    # 17:00 on 27 March is still winter time (16:00 UTC); the deadline is summer time (15:00 UTC).
    assert await reminders_at(bot, dt.datetime(2027, 3, 27, 15, 59, tzinfo=UTC)) == {}
    sent = await reminders_at(bot, dt.datetime(2027, 3, 27, 16, 0, tzinfo=UTC))
    assert sorted(sent) == [201, 203]  # IT answered: no reminder
    assert "Three days left" in sent[201][0] and "2027-03-30 17:00 (Europe/Brussels)" in sent[201][0]
    assert "2027-03-30 16:00 (Europe/Lisbon)" in sent[203][0]
    assert await reminders_at(bot, dt.datetime(2027, 3, 27, 16, 5, tzinfo=UTC)) == {}
    sent = await reminders_at(bot, dt.datetime(2027, 3, 29, 15, 0, tzinfo=UTC))
    assert sorted(sent) == [201, 203] and "One day left" in sent[201][0]
    sent = await reminders_at(bot, dt.datetime(2027, 3, 30, 13, 0, tzinfo=UTC))
    assert sorted(sent) == [201, 203] and "Two hours left" in sent[201][0]
    assert await reminders_at(bot, dt.datetime(2027, 3, 30, 14, 0, tzinfo=UTC)) == {}

    # Extended by a week: everyone asked is told, and the reminders before the new deadline come again.
    launcher = people["contact"]
    await bot.send(launcher, "/rounds")
    await tap(bot, launcher, "#1 Readmission arrangements")
    await tap(bot, launcher, "📅 Extend")
    calls = await bot.send(launcher, "2027-04-06 17:00")
    told = sorted({int(c.params["chat_id"]) for c in calls if "was extended" in str(c.params.get("text"))})
    assert told == [201, 202, 203]
    sent = await reminders_at(bot, dt.datetime(2027, 4, 3, 15, 0, tzinfo=UTC))
    assert sorted(sent) == [201, 203] and "Three days left" in sent[201][0]


async def test_a_compilation_due_while_the_bot_was_down_is_made_on_return_once(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    de = await register(store, 201, Role.CONTACT, "DE")
    await register(store, 202, Role.CONTACT, "IT")
    await register(store, 203, Role.CONTACT, "EL")
    await launch_query(bot, people["contact"], ["DE", "EL", "IT"], "TLP:GREEN", "TLP:AMBER")
    await tap(bot, de, "🗳 Open the round")
    await tap(bot, de, "No information")
    await bot.stop()

    clock = FixedClock(dt.datetime(2026, 12, 6, 8, 0, tzinfo=UTC))  # two days after the deadline
    again = BotHarness(store, clock)
    await again.start()
    try:
        assert await schedule_rounds(again.app) == 1
        queue = again.app.job_queue
        assert queue is not None
        assert {j.name for j in queue.jobs()} >= {"round:1", "rounds:sweep"}
        assert await sweep(again.app.bot_data[DEPS_KEY]) == (1, 0)
        await again.deliver()
        assert await sweep(again.app.bot_data[DEPS_KEY]) == (0, 0)
        assert await sweep(bot.app.bot_data[DEPS_KEY]) == (0, 0)  # another process finds it made
        compiled = to(again, de)
        assert len([c for c in compiled if c.method == "sendDocument"]) == 2
        assert any("Asked 3 · answered 1" in x for x in again.texts(compiled))
    finally:
        await again.stop()
        await bot.start()  # the fixture stops it again


async def test_a_compilation_is_held_from_a_reader_who_may_no_longer_read_it_when_it_leaves(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    de = await register(store, 201, Role.CONTACT, "DE")
    await register(store, 202, Role.CONTACT, "IT")
    await register(store, 203, Role.CONTACT, "EL")
    await launch_query(bot, people["contact"], ["DE", "EL", "IT"], "TLP:GREEN", "TLP:AMBER")
    bot.clock.current = dt.datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert await sweep(bot.app.bot_data[DEPS_KEY]) == (1, 0)  # queued, not sent yet
    async with store.engine.begin() as connection:  # DE's contact becomes an observer meanwhile
        await connection.execute(
            update(MemberRow).where(MemberRow.telegram_user_id == 201).values(role=Role.OBSERVER.value)
        )
    before = len(bot.api.calls)
    await bot.deliver()
    sent = bot.api.calls[before:]
    assert not to(bot, de, sent)
    assert len([c for c in to(bot, people["contact"], sent) if c.method == "sendDocument"]) == 2
    async with store.engine.connect() as connection:
        held = await connection.scalar(
            select(func.count())
            .select_from(OutboxRow)
            .where(OutboxRow.chat_id == 201, OutboxRow.status == "withheld", OutboxRow.job == "round:1")
        )
    assert held == 2  # the message with the spreadsheet, and the document
