"""Abuse limits: a budget of expensive requests (searches, digests, country profiles, paging, previews) for
each user and each group, kept in this process's memory as token buckets.

A bucket holds `burst` requests and refills at `per_minute`; a request over budget runs nothing and is told
when to try again. Being told once is enough: further refused requests stay silent until one is admitted
again, so a flood never turns into a flood of replies (Telegram allows one message a second in a chat, 20
a minute in a group). The buckets are pyrate-limiter's (`StateBucket` with `TokenBucket`): a constant few
numbers per key, the time given by the caller (tests inject their clock), no thread of their own.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from pyrate_limiter import Decision, Duration, InMemoryStateStore, Rate, RateItem, StateBucket, TokenBucket

from bot.domain.errors import DomainError

SWEEP_EVERY = 1_000  # spends between two sweeps of idle buckets


@dataclass(frozen=True, slots=True)
class BudgetRule:
    """How many expensive requests: `burst` at once, refilled at `per_minute`."""

    per_minute: int
    burst: int

    def __post_init__(self) -> None:
        if self.per_minute < 1 or self.burst < 1:
            raise ValueError("a budget allows at least one request a minute and a burst of one")

    @property
    def refill(self) -> dt.timedelta:
        """How long an empty bucket takes to fill up again."""
        return dt.timedelta(minutes=self.burst / self.per_minute)


# A person pages a few results quickly, then reads: 5 at once, then one every 4 s. The bot handles updates
# one after the other, so what a flood of members may run at once is what everyone else waits behind.
USER_BUDGET = BudgetRule(per_minute=15, burst=5)
GROUP_BUDGET = BudgetRule(per_minute=30, burst=10)


class TooManyRequests(DomainError):
    """Over budget: nothing was run. `tell` is False when this streak of refusals was already told."""

    message_id = "budget.too_many"

    def __init__(self, seconds: int, tell: bool) -> None:
        super().__init__(seconds=seconds)
        self.seconds = seconds
        self.tell = tell


class _Budget:
    """One rule's buckets, by key."""

    def __init__(self, rule: BudgetRule) -> None:
        self.rule = rule
        self._rates = [Rate(rule.per_minute, Duration.MINUTE, burst=rule.burst)]
        self._buckets: dict[int, tuple[StateBucket, int]] = {}  # key -> (bucket, last use in ms)

    def take(self, key: int, now_ms: int) -> int:
        """Spend one request of `key`'s bucket: 0 when admitted, else the milliseconds to wait."""
        found = self._buckets.get(key)
        bucket = found[0] if found else StateBucket(self._rates, TokenBucket(), InMemoryStateStore())
        self._buckets[key] = (bucket, now_ms)
        decision = bucket.put_decision(RateItem(str(key), now_ms))
        assert isinstance(decision, Decision)  # an in-memory store answers at once
        return 0 if decision.allowed else max(1, decision.retry_after_ms or 1)

    def sweep(self, now_ms: int) -> None:
        """Forget the buckets unused for longer than a full refill: they are full again."""
        idle = self.rule.refill.total_seconds() * 1000
        for key in [k for k, (_, used) in self._buckets.items() if now_ms - used > idle]:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)

    def __contains__(self, key: int) -> bool:
        return key in self._buckets


class RequestBudgets:
    """The budgets of expensive requests of every user and every group this process serves."""

    def __init__(self, user: BudgetRule = USER_BUDGET, group: BudgetRule = GROUP_BUDGET) -> None:
        self._users = _Budget(user)
        self._groups = _Budget(group)
        self._told: set[tuple[str, int]] = set()  # refused since their last admitted request, and told so
        self._spends = 0
        self.refused = 0

    def spend(self, telegram_user_id: int, group_id: int | None, now: dt.datetime) -> None:
        """Take one expensive request from the user's budget, and the group's when asked in a group.

        The user's budget is taken first: one member's flood does not spend the group's. Over either,
        TooManyRequests saying in how many seconds to try again; nothing was run.
        """
        now_ms = int(now.timestamp() * 1000)
        self._spends += 1
        if self._spends % SWEEP_EVERY == 0:
            self._sweep(now_ms)
        for kind, budget, key in (("user", self._users, telegram_user_id), ("group", self._groups, group_id)):
            if key is None:
                continue
            wait_ms = budget.take(key, now_ms)
            if wait_ms:
                self.refused += 1
                tell = (kind, key) not in self._told
                self._told.add((kind, key))
                raise TooManyRequests(math.ceil(wait_ms / 1000), tell)
        self._told.discard(("user", telegram_user_id))
        if group_id is not None:
            self._told.discard(("group", group_id))

    def _sweep(self, now_ms: int) -> None:
        self._users.sweep(now_ms)
        self._groups.sweep(now_ms)
        budgets = {"user": self._users, "group": self._groups}
        self._told = {(kind, key) for kind, key in self._told if key in budgets[kind]}

    def tracked(self) -> int:
        """How many users and groups have a bucket in memory now."""
        return len(self._users) + len(self._groups)
