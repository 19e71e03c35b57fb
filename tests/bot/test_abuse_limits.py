"""Abuse limits: budgets of expensive requests per user and per group, and searches that would cost too much.

The bot here runs with the production budgets (5 at once, 15 a minute for a user; 10 and 30 for a group):
the test clock stands still unless a test moves it, so budgets refill only when told to.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from bot.console.updates import Identity
from bot.domain.search import SearchTooBroad
from bot.domain.vocab import InitiativeStatus, InitiativeType, Role, Tlp, UpdateKind
from bot.services.budgets import BudgetRule, RequestBudgets, TooManyRequests
from bot.services.identity import identify
from bot.services.search import search
from bot.settings import Settings
from handlers.buttons import InitiativesPage, UpdatesPage
from handlers.context import DEPS_KEY, BotContext, Lane
from handlers.country import PickCountry
from handlers.filter_codes import EVERYTHING
from handlers.initiatives import PickRegion, PickStatus, PickType
from handlers.search import SearchPage
from handlers.subscriptions import PreviewSubscription
from storage.factory import Store
from storage.models import InitiativeRow, MemberRow, UpdateRow
from tests.bot.flows import alerts
from tests.conftest import NOW, register, register_group
from tests.harness import BotHarness, FixedClock

TOO_MANY = "Too many requests: please try again in 4 s."
TOO_BROAD = "That search is too broad to answer quickly"
GROUP = -100123


@pytest.fixture
async def strict(store: Store, clock: FixedClock) -> AsyncIterator[BotHarness]:
    """The bot with the budgets it ships with."""
    harness = BotHarness(store, clock, Settings(_env_file=None))  # type: ignore[call-arg]
    await harness.start()
    yield harness
    await harness.stop()
    assert not harness.errors, harness.errors


@contextmanager
def statements(bot: BotHarness) -> Iterator[list[str]]:
    """The SQL statements the updates inside the block run (the outbox is not drained meanwhile)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if not sql.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(sql)

    engine = bot.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    bot.autodeliver = False
    try:
        yield seen
    finally:
        bot.autodeliver = True
        event.remove(engine, "before_cursor_execute", record)


def page(who: Identity, message_id: int = 5) -> dict[str, Any]:
    return {"message_id": message_id, "date": 0, "chat": who.chat, "text": "x"}


# --- the budgets themselves ------------------------------------------------------------------------


def test_a_budget_admits_its_burst_then_one_request_per_refill_interval() -> None:
    budgets = RequestBudgets(BudgetRule(per_minute=20, burst=8), BudgetRule(per_minute=60, burst=100))
    for _ in range(8):
        budgets.spend(1, None, NOW)
    with pytest.raises(TooManyRequests) as first:
        budgets.spend(1, None, NOW)
    assert (first.value.seconds, first.value.tell) == (3, True)
    with pytest.raises(TooManyRequests) as second:
        budgets.spend(1, None, NOW + dt.timedelta(seconds=1))
    assert (second.value.seconds, second.value.tell) == (2, False)  # told once per streak
    budgets.spend(2, None, NOW)  # another user has their own budget
    budgets.spend(1, None, NOW + dt.timedelta(seconds=3))  # one refilled
    with pytest.raises(TooManyRequests) as again:
        budgets.spend(1, None, NOW + dt.timedelta(seconds=3))
    assert again.value.tell, "admitted in between: a new streak is told again"
    budgets.spend(1, None, NOW + dt.timedelta(seconds=30))
    assert budgets.refused == 3


def test_a_group_budget_is_shared_by_its_members_and_a_user_budget_spent_first() -> None:
    budgets = RequestBudgets(BudgetRule(per_minute=20, burst=2), BudgetRule(per_minute=40, burst=3))
    budgets.spend(1, GROUP, NOW)
    budgets.spend(2, GROUP, NOW)
    budgets.spend(3, GROUP, NOW)
    with pytest.raises(TooManyRequests) as refused:
        budgets.spend(4, GROUP, NOW)
    assert refused.value.seconds == 2  # 40 a minute: one every 1.5 s
    budgets.spend(4, None, NOW)  # the same person in a private chat still has a budget
    budgets.spend(1, None, NOW)
    with pytest.raises(TooManyRequests):
        budgets.spend(1, None, NOW)  # user 1 spent theirs: the group's is not touched
    budgets.spend(5, GROUP, NOW + dt.timedelta(seconds=2))


def test_idle_buckets_are_forgotten() -> None:
    budgets = RequestBudgets(BudgetRule(per_minute=60, burst=1), BudgetRule(per_minute=60, burst=1))
    for user in range(999):
        budgets.spend(user, None, NOW)
    assert budgets.tracked() == 999
    budgets.spend(5000, None, NOW + dt.timedelta(minutes=5))  # the 1,000th spend sweeps
    assert budgets.tracked() == 1


# --- through the bot ---------------------------------------------------------------------------------


async def test_a_flooding_member_is_told_once_to_wait_and_nothing_expensive_runs(
    strict: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    for _ in range(5):
        [answer] = strict.texts(await strict.send(contact, "/search morocco"))
        assert "<b>Search</b>" in answer
    with statements(strict) as run:
        [told] = strict.texts(await strict.send(contact, "/search morocco"))
        assert strict.texts(await strict.send(contact, "/search morocco")) == []  # told once is enough
        calls = await strict.press(
            contact, page(contact), SearchPage("abcd", 1).data
        )  # a button is always answered
    assert told == TOO_MANY
    assert alerts(calls) == [TOO_MANY]
    assert run == [], "an over-budget request reached the store"
    [other] = strict.texts(await strict.send(people["observer"], "/search morocco"))
    assert "<b>Search</b>" in other
    strict.clock.current = NOW + dt.timedelta(seconds=4)
    [again] = strict.texts(await strict.send(contact, "/search morocco"))
    assert "<b>Search</b>" in again


async def test_a_flooding_stranger_costs_nothing_once_over_budget(
    strict: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    guest = people["guest"]
    for _ in range(5):
        [refused] = strict.texts(await strict.send(guest, "/search morocco"))
        assert "for members of the working party" in refused
    with statements(strict) as run:
        [told] = strict.texts(await strict.send(guest, "/search morocco"))
        for _ in range(20):
            assert strict.texts(await strict.send(guest, "/search morocco")) == []
    assert told == TOO_MANY and run == []
    [help_text] = strict.texts(await strict.send(guest, "/help"))  # cheap requests are never counted
    assert "To get access" in help_text


EXPENSIVE = {
    "/search morocco": "send",
    "/digest": "send",
    "/country Morocco": "send",
    InitiativesPage(1, EVERYTHING).data: "press",
    PickRegion(None, EVERYTHING).data: "press",
    PickType(InitiativeType.PARTNERSHIP, EVERYTHING).data: "press",
    PickStatus(InitiativeStatus.ACTIVE, EVERYTHING).data: "press",
    UpdatesPage(1, 5).data: "press",
    SearchPage("abcd", 1).data: "press",
    PickCountry("MA").data: "press",
}


@pytest.mark.parametrize("request_", list(EXPENSIVE))
async def test_every_expensive_request_spends_the_budget(
    strict: BotHarness, store: Store, people: dict[str, Identity], request_: str
) -> None:
    contact = people["contact"]
    for _ in range(5):
        await strict.send(contact, "/search morocco")
    with statements(strict) as run:
        if EXPENSIVE[request_] == "send":
            assert strict.texts(await strict.send(contact, request_)) == [TOO_MANY]
        else:
            calls = await strict.press(contact, page(contact), request_)
            assert [c.method for c in calls] == ["answerCallbackQuery"]
            assert calls[0].params["text"] == TOO_MANY
    assert run == []


async def test_a_digest_preview_button_spends_the_budget(
    strict: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    for _ in range(5):
        await strict.send(contact, "/digest")
    calls = await strict.press(contact, page(contact), PreviewSubscription(1).data)
    assert [c.method for c in calls] == ["answerCallbackQuery"] and calls[0].params["text"] == TOO_MANY
    [settings] = strict.texts(await strict.send(contact, "/settings"))  # not an expensive request
    assert "Your settings" in settings


async def test_a_group_has_its_own_budget_shared_by_its_members(
    strict: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    await register_group(store, GROUP)
    members = [people["admin"], people["contact"], people["observer"]]
    members += [await register(store, 200 + n, Role.CONTACT, "IT", f"Member {n}") for n in range(2)]
    in_group = [Identity(m.user_id, m.first_name, chat_id=GROUP, chat_type="supergroup") for m in members]
    answered = [strict.texts(await strict.send(who, "/search morocco")) for who in in_group * 2]
    assert all("<b>Search</b>" in a[0] for a in answered)  # 10 at once: the group's burst
    [told] = strict.texts(await strict.send(in_group[0], "/search morocco"))
    assert told == "Too many requests: please try again in 2 s."
    assert strict.texts(await strict.send(in_group[1], "/search morocco")) == []  # the group was told
    [private] = strict.texts(await strict.send(people["contact"], "/search morocco"))
    assert "<b>Search</b>" in private


# --- searches too broad for their time budget --------------------------------------------------------


async def add_many_updates(store: Store, count: int) -> None:
    """`count` TLP:CLEAR updates that all hold the word 'kestrel', inserted in one go."""
    async with store.engine.begin() as conn:
        author = await conn.scalar(select(MemberRow.id).where(MemberRow.telegram_user_id == 102))
        initiative = await conn.scalar(select(InitiativeRow.id).where(InitiativeRow.ref == "MP-MA-2013"))
        rows = [
            {
                "initiative_id": initiative,
                "kind": UpdateKind.PROGRESS.value,
                "text": f"kestrel sighting number {n} near the border post, with partners and observers",
                "tlp": Tlp.CLEAR.value,
                "author_id": author,
                "delegation_code": "FR",
                "created_at": NOW - dt.timedelta(minutes=n),
            }
            for n in range(count)
        ]
        for start in range(0, count, 2000):
            await conn.execute(insert(UpdateRow), rows[start : start + 2000])


async def test_a_search_over_its_time_budget_is_too_broad_and_the_store_stays_usable(
    store: Store, people: dict[str, Identity]
) -> None:
    await add_many_updates(store, 3000)
    viewer = await identify(store.uow, 102, "en")
    with pytest.raises(SearchTooBroad) as refused:
        await search(store.uow, viewer, "kestrel", 0, time_limit=dt.timedelta(0))
    assert refused.value.message_id == "search.too_broad"
    found = await search(store.uow, viewer, "kestrel border", 0)  # the default budget: plenty
    assert found.results.total_updates == 500 and found.results.capped
    async with store.uow() as uow:  # no statement timeout left behind on a pooled connection
        assert await uow.members.by_telegram_id(102) is not None


async def test_a_member_hears_that_a_costly_search_is_too_broad(
    store: Store, clock: FixedClock, people: dict[str, Identity]
) -> None:
    await add_many_updates(store, 20_000)
    settings = Settings(_env_file=None, search_time_limit_ms=1)  # type: ignore[call-arg]
    harness = BotHarness(store, clock, settings)
    await harness.start()
    try:
        [answer] = harness.texts(await harness.send(people["contact"], "/search kestrel"))
        assert TOO_BROAD in answer
        [fine] = harness.texts(await harness.send(people["contact"], "/help"))
        assert "/search" in fine
    finally:
        await harness.stop()
    assert not harness.errors, harness.errors


# --- the lane of expensive requests ------------------------------------------------------------------


async def test_expensive_requests_run_one_at_a_time_while_other_updates_go_on(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    lane = Lane(beside=True)  # as the application has it on PostgreSQL
    gate, order = asyncio.Event(), []

    async def slow(_update: object, _context: object) -> None:
        order.append("start")
        await gate.wait()
        order.append("end")

    update = bot.updates.message(people["contact"], "/search kestrel")
    context = BotContext.from_update(update, bot.app)
    await lane.run(update, context, slow)
    await lane.run(update, context, slow)
    await asyncio.sleep(0)  # a turn of the event loop: the first request starts and waits
    before = len(bot.api.calls)
    await bot.app.process_update(bot.updates.message(people["observer"], "/help"))
    assert "/search" in bot.texts(bot.api.calls[before:])[0], "/help waited behind the lane"
    assert order == ["start"] and len(lane) == 2
    gate.set()
    await lane.drain()
    assert order == ["start", "end", "start", "end"]


async def test_a_failure_in_the_lane_reaches_the_error_handlers(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    async def broken(_update: object, _context: object) -> None:
        raise RuntimeError("search engine on fire")

    update = bot.updates.message(people["contact"], "/search kestrel")
    lane = Lane(beside=True)
    before = len(bot.api.calls)
    await lane.run(update, BotContext.from_update(update, bot.app), broken)
    await lane.drain()
    assert [str(e) for e in bot.errors] == ["search engine on fire"]
    bot.errors.clear()
    assert "something went wrong" in bot.texts(bot.api.calls[before:])[0]


async def test_the_lane_runs_beside_other_updates_only_on_postgresql(bot: BotHarness, store: Store) -> None:
    assert bot.app.bot_data[DEPS_KEY].lane.beside is (store.backend == "postgresql")
