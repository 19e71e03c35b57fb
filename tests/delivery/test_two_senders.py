"""Two senders sharing one outbox and one bot token on PostgreSQL: the shared send budget."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from storage.factory import Store, open_store
from tests.databases import PostgresTemplates
from tests.delivery.support import (
    make_sender,
    message,
    put,
    rejection_report,
    rows,
    sender_config,
    settled,
    wait_for,
)
from tests.fakes.telegram_limits import FakeTelegram, Limits

CHATS = 30
PER_CHAT = 3
# Slow enough that the limits bind, not the CPU: the fake at 3x Telegram's speed (90 sends a second),
# each sender at 3/4 of that: with the budget shared, 3/4 together; without, 3/2.
FAKE_SCALE = 3.0
SENDER_SCALE = FAKE_SCALE * 0.75


@pytest.fixture
def fake(fake_factory: Callable[..., FakeTelegram]) -> FakeTelegram:
    return fake_factory(Limits(scale=FAKE_SCALE))


@pytest.fixture
def pg_url(postgres_templates: PostgresTemplates) -> Iterator[str]:
    """A fresh migrated, seeded PostgreSQL database: the shared budget exists only there."""
    url = postgres_templates.fresh()
    yield url
    postgres_templates.drop(url)


@pytest.fixture
async def pg_store(pg_url: str) -> AsyncIterator[Store]:
    store = open_store(pg_url)
    yield store
    await store.dispose()


@pytest.fixture
async def second_store(pg_url: str) -> AsyncIterator[Store]:
    """The same database through another engine and pool, as a second process would have."""
    store = open_store(pg_url)
    yield store
    await store.dispose()


async def run_two(stores: tuple[Store, Store], fake: FakeTelegram, bots: Any, shared: bool) -> float:
    store = stores[0]
    chats = [20_000 + i for i in range(CHATS)]
    await put(store, [message(chat, f"two-{chat}-{n}") for n in range(PER_CHAT) for chat in chats])
    # Small batches, so that both senders get rows to send.
    config = sender_config(SENDER_SCALE, shared_budget=shared, batch=20)
    senders = [
        make_sender(await bots(fake), each, config, worker_id=name)
        for each, name in zip(stores, ("a", "b"), strict=True)
    ]
    started = time.monotonic()
    for sender in senders:
        sender.start()
    try:
        await wait_for(lambda: settled(store), 30, "both senders to finish")
    finally:
        for sender in senders:
            await sender.stop(grace_seconds=5)
    return time.monotonic() - started


async def test_two_senders_with_a_shared_budget_stay_within_the_limits_together(
    pg_store: Store, second_store: Store, fake: FakeTelegram, bots: Any
) -> None:
    assert pg_store.backend == "postgresql"
    elapsed = await run_two((pg_store, second_store), fake, bots, shared=True)

    limits, counters = fake.limits, fake.counters
    stored = await rows(pg_store)
    by_sender = Counter(r.claimed_by for r in stored)
    busiest = fake.max_rate_in_window(limits.overall_window)
    print(
        f"\nshared budget, 2 senders at {SENDER_SCALE}x each: {elapsed:.2f} s, {counters}, "
        f"rows by sender {dict(by_sender)}, busiest window {busiest}/{limits.overall_per_second}"
    )
    assert fake.duplicates() == {}
    assert counters.delivered == CHATS * PER_CHAT
    assert {r.status for r in stored} == {"sent"}
    assert set(by_sender) == {"a", "b"}, "one sender did all the work"
    assert busiest <= limits.overall_per_second
    chats = {r.chat_id for r in stored}
    assert all(fake.max_rate_in_window(limits.private_window, chat) <= 1 for chat in chats)
    rejected = Counter(r.limit for r in fake.rejections)
    assert rejected["overall"] == 0, rejected
    gap = sender_config(SENDER_SCALE).limits.per_chat_seconds
    # Timers woken late on a loaded machine can bunch a few sends; the shared budget keeps it to a handful.
    assert counters.rejected_429 <= 5, rejection_report(fake, gap)
