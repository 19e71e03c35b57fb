"""Digests in bulk on the real store (SQLite and PostgreSQL): one run and one outbox row per subscription
and period through double and concurrent sweeps, a statement count that does not grow with the number of
subscribers, and the newest-three-then-"+N more" shape obeying TLP for each reader.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select

from bot.console.updates import Identity
from bot.domain.digests import Scope
from bot.domain.outbox import OutboxKind
from bot.domain.vocab import Role, Tlp
from bot.services import digests
from storage.factory import Store
from storage.models import DigestRunRow, OutboxRow
from tests.conftest import register
from tests.storage.test_digests import (
    DAY,
    HOUR,
    SECOND,
    T0,
    T1,
    initiative_id,
    key,
    post,
    queued,
    send_due,
    set_member,
    stored,
    subscribe,
    utc,
)

EXTRA = range(301, 313)  # twelve more contacts, from four delegations


async def many_subscribers(store: Store, count: int) -> list[int]:
    """`count` extra contacts subscribed to everything; their subscription ids."""
    ids = []
    for uid in EXTRA[:count]:
        await register(store, uid, Role.CONTACT, ("FR", "IT", "DE", "ES")[uid % 4], f"Extra {uid}")
        ids.append((await subscribe(store, uid)).id)
    return ids


async def outbox_rows(store: Store) -> Counter[str]:
    """Digest rows in the outbox, by dedupe key."""
    async with store.engine.connect() as connection:
        keys = await connection.scalars(
            select(OutboxRow.dedupe_key).where(OutboxRow.kind == OutboxKind.DIGEST.value)
        )
        return Counter(str(k) for k in keys)


async def run_count(store: Store) -> int:
    """Digest runs recorded."""
    async with store.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(DigestRunRow)) or 0)


@contextmanager
def statements(store: Store) -> Iterator[Counter[str]]:
    """SQL statements issued meanwhile, by first word (an executemany batch counts once)."""
    counts: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        counts[statement.split(None, 1)[0].upper()] += 1

    event.listen(store.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", count)


async def test_a_second_sweep_of_the_same_period_queues_nothing_more(
    store: Store, people: dict[str, Identity]
) -> None:
    subs = await many_subscribers(store, 12)
    quiet = await subscribe(
        store, 101, scope=Scope(everything=False, initiatives=(await initiative_id(store, "RA-HK-2004"),))
    )
    silent = await subscribe(store, 102, scope=quiet.scope, send_empty=False)
    late = await subscribe(store, 103)
    await post(store, 101, "MP-MA-2013", "for-everyone", T0 - DAY)
    assert await send_due(store, T0, only=[*subs, quiet.id, silent.id]) == digests.Sweep(13, 1, 0, 0)
    assert await send_due(store, T0 + 2 * DAY) == digests.Sweep(0, 0, 1, 0)  # the observer's: too late
    rows = await outbox_rows(store)
    assert set(rows) == {key(s, T0) for s in [*subs, quiet.id]} and set(rows.values()) == {1}
    # Every row due again for the same period (a replica that had not seen the runs): all of them done.
    everyone = [*subs, quiet.id, silent.id, late.id]
    for sub in everyone:
        await set_due_again(store, sub)
    assert await send_due(store, T0 + 2 * DAY) == digests.Sweep(0, 0, 0, 0)  # the late one: still missed
    for sub in everyone:
        await set_due_again(store, sub)
    assert await send_due(store, T0 + HOUR) == digests.Sweep(0, 0, 0, 15)
    assert await outbox_rows(store) == rows
    assert await run_count(store) == 12 + 3
    assert {(await stored(store, s)).next_due_at for s in everyone} == {T1}
    assert (await stored(store, silent.id)).last_period_end == T0


async def test_concurrent_sweeps_queue_one_digest_per_subscription(
    store: Store, people: dict[str, Identity], database_url: str
) -> None:
    subs = await many_subscribers(store, 12)
    await post(store, 101, "MP-MA-2013", "once-each", T0 - HOUR)
    sweeps = await asyncio.gather(send_due(store, T0), send_due(store, T0), send_due(store, T0 + SECOND))
    assert sum(s.sent for s in sweeps) == 12
    assert sum(s.sent + s.already_done for s in sweeps) in (12, 24, 36)  # a later sweep may see them done
    rows = await outbox_rows(store)
    assert set(rows) == {key(s, T0) for s in subs} and set(rows.values()) == {1}
    assert await run_count(store) == 12
    # A replica that had not seen the runs: the same period again finds every one of them done.
    for sub in subs:
        await set_due_again(store, sub)
    assert await send_due(store, T0 + HOUR) == digests.Sweep(0, 0, 0, 12)
    assert await outbox_rows(store) == rows


async def set_due_again(store: Store, subscription_id: int) -> None:
    """The subscription's row as it was before its first digest went out."""
    from sqlalchemy import update

    from storage.models import SubscriptionRow

    async with store.engine.begin() as connection:
        await connection.execute(
            update(SubscriptionRow)
            .where(SubscriptionRow.id == subscription_id)
            .values(next_due_at=T0, last_period_end=None)
        )


async def test_statements_do_not_grow_with_the_number_of_subscribers(
    store: Store, people: dict[str, Identity]
) -> None:
    few = await many_subscribers(store, 2)
    more = [(await subscribe(store, uid)).id for uid in (101, 102, 103)]
    for uid in EXTRA[2:12]:
        await register(store, uid, Role.CONTACT, "IT", f"Extra {uid}")
        more.append((await subscribe(store, uid)).id)
    await post(store, 101, "MP-MA-2013", "news", T0 - DAY)
    assert await send_due(store, T0 - DAY) == digests.Sweep(0, 0, 0, 0)  # place names read, and kept
    with statements(store) as small:
        assert (await send_due(store, T0, only=few)).sent == 2
    with statements(store) as large:
        assert (await send_due(store, T0, only=more)).sent == 13
    assert large == small, (small, large)


async def test_each_initiative_shows_the_newest_three_its_reader_may_see_and_counts_the_rest(
    store: Store, people: dict[str, Identity]
) -> None:
    await set_member(store, 102, language="fr")
    contact = await subscribe(store, 102)  # FR contact: GREEN and AMBER
    observer = await subscribe(store, 103)  # FRONTEX observer: GREEN only
    await send_due(store, T0)
    tlps = [Tlp.GREEN, Tlp.AMBER, Tlp.GREEN, Tlp.AMBER, Tlp.GREEN, Tlp.AMBER, Tlp.GREEN]
    for n, tlp in enumerate(tlps):  # note-0 is the oldest
        await post(store, 101, "MP-MA-2013", f"note-{n}-{tlp.value}", utc(2026, 11, 17, 10 + n), tlp)
    await send_due(store, T1)

    [_, french] = await queued(store, 102)
    assert french.dedupe_key == key(contact.id, T1)
    assert "<b>7 mises à jour</b> sur 1 initiative" in french.text
    assert [n for n in range(7) if f"note-{n}-" in french.text] == [4, 5, 6]
    assert "+4 de plus · /initiative MP-MA-2013" in french.text
    assert french.protect  # the AMBER note-5 is shown

    [_, watcher] = await queued(store, 103)
    assert watcher.dedupe_key == key(observer.id, T1)
    assert "<b>4 updates</b> on 1 initiative" in watcher.text  # the AMBER ones are not counted
    assert [n for n in range(7) if f"note-{n}-" in watcher.text] == [2, 4, 6]
    assert "+1 more · /initiative MP-MA-2013" in watcher.text
    assert "TLP:AMBER" not in watcher.text and not watcher.protect


async def test_a_subscription_deleted_during_a_sweep_waits_for_it(
    bot: Any, store: Store, people: dict[str, Identity]
) -> None:
    """The sweep holds the subscriptions it read until it has recorded their runs: a deletion meanwhile
    waits (rather than breaking the runs' foreign key and the whole sweep), then removes the runs too."""
    sub = await subscribe(store, 102)
    deleted = asyncio.Event()

    async def delete_it() -> None:
        async with store.uow() as uow:
            await uow.subscriptions.delete([sub.id])
            await uow.commit()
        deleted.set()

    async with store.uow() as sweep:
        [due] = await sweep.subscriptions.active(due_before=T0)
        assert due.id == sub.id
        deleting = asyncio.create_task(delete_it())
        await asyncio.sleep(0.5)
        assert not deleted.is_set(), "the deletion waits for the sweep"
        new = await sweep.subscriptions.record_runs([digests.Run(sub.id, T0 - 7 * DAY, T0, "sent", 1)], T0)
        assert new == {sub.id}
        await sweep.commit()
    await asyncio.wait_for(deleting, 10)
    async with store.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(DigestRunRow)) == 0
