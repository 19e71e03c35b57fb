"""Leases on both backends, and the background work following its lease between two keepers: taken by one,
refused to the other, taken over once the holder stops renewing, handed over at once on a clean stop."""

from __future__ import annotations

import datetime as dt

from bot.background import NAME, BackgroundLease
from storage.factory import Store
from storage.leases import Leases
from tests.harness import FixedClock

TTL = dt.timedelta(seconds=30)


async def test_a_lease_is_held_renewed_taken_over_when_expired_and_released(
    store: Store, clock: FixedClock
) -> None:
    leases, now = Leases(store.engine), clock.now()
    assert await leases.take("x", "a", now, TTL)
    assert not await leases.take("x", "b", now + dt.timedelta(seconds=29), TTL)
    assert await leases.take("x", "a", now + dt.timedelta(seconds=29), TTL)  # renewed until 59 s
    assert not await leases.take("x", "b", now + dt.timedelta(seconds=58), TTL)
    assert await leases.take("x", "b", now + dt.timedelta(seconds=60), TTL)  # a stopped renewing
    assert await leases.holder("x", now + dt.timedelta(seconds=60)) == "b"
    await leases.release("x", "a", now + dt.timedelta(seconds=61))  # not a's to give up: nothing changes
    assert await leases.holder("x", now + dt.timedelta(seconds=61)) == "b"
    await leases.release("x", "b", now + dt.timedelta(seconds=61))
    assert await leases.holder("x", now + dt.timedelta(seconds=61)) is None
    assert await leases.take("x", "a", now + dt.timedelta(seconds=61), TTL)
    assert await leases.take("other", "b", now, TTL)  # leases are independent


class Work:
    """What a keeper starts and stops: counted."""

    def __init__(self) -> None:
        self.starts = self.stops = 0

    async def start(self) -> None:
        self.starts += 1

    async def stop(self) -> None:
        self.stops += 1


def keeper(store: Store, clock: FixedClock, work: Work, name: str) -> BackgroundLease:
    return BackgroundLease(Leases(store.engine), clock, work.start, work.stop, holder=name, ttl=TTL)


async def test_the_background_work_runs_in_one_keeper_and_moves_when_its_holder_dies(
    store: Store, clock: FixedClock
) -> None:
    one_work, two_work = Work(), Work()
    one, two = keeper(store, clock, one_work, "one"), keeper(store, clock, two_work, "two")
    await one.look()
    await two.look()
    assert (one.held, two.held, one_work.starts, two_work.starts) == (True, False, 1, 0)
    assert two.healthy(sender_running=False) and one.healthy(sender_running=True)
    assert not one.healthy(sender_running=False)

    clock.current += TTL + dt.timedelta(seconds=1)  # one died: it renewed no more
    await two.look()
    assert two.held and two_work.starts == 1
    await one.look()  # one comes back: it finds the lease gone and stops its work
    assert not one.held and one_work.stops == 1

    await two.end()  # a clean stop hands over at once
    assert two_work.stops == 1
    await one.look()
    assert one.held and one_work.starts == 2
    assert await Leases(store.engine).holder(NAME, clock.now()) == "one"
