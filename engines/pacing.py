"""When a send may start: the rate scheduler's grant, the window of real starts and answers, a 429's
pause, and with several processes the budget they share in the store."""

from __future__ import annotations

import asyncio

from bot.clock import Clock
from bot.domain.rate import Limits, RateScheduler
from bot.services.outbox import Ledger


class Pacer:
    """Waits until a send to a chat may start."""

    def __init__(self, limits: Limits, shared_budget: bool, ledger: Ledger, clock: Clock) -> None:
        self.limits = limits
        self.shared_budget = shared_budget
        self.scheduler = RateScheduler(limits)
        self.ledger = ledger
        self.clock = clock

    async def slot(self, chat_id: int) -> None:
        """Until the send has its slot: granted by this process's scheduler, and with a shared budget by
        the store too (a slot that fell in a 429 pause is traded for one after it: sending later than the
        store's slot would crowd the next send to the chat, which another process may make on time);
        without one, until a window crowded since the grant has passed."""
        loop = asyncio.get_running_loop()
        await self._slot(chat_id)
        if self.shared_budget:
            while self.scheduler.paused_until > loop.time():
                await self._slot(chat_id)
        else:
            await self.gate()

    def hold(self, now: float) -> float:
        """Seconds a granted send must still wait: for the window of this process's real starts and
        answers, and for a 429 pause. With a shared budget only the pause counts: the slot comes from the
        store, and this process's sends are not the whole window (waiting here would only make the send
        late for its slot, closer to the next one another process sends to the same chat)."""
        if self.shared_budget:
            return max(0.0, self.scheduler.paused_until - now)
        return self.scheduler.gate(now)

    async def gate(self) -> None:
        """Until `hold` lets a send start now."""
        loop = asyncio.get_running_loop()
        while (delay := self.hold(loop.time())) > 0:  # noqa: ASYNC110 - waits for a time
            await asyncio.sleep(delay)

    async def _slot(self, chat_id: int) -> None:
        loop = asyncio.get_running_loop()
        ready = self.scheduler.ready_at(chat_id)
        if ready > loop.time():
            await asyncio.sleep(ready - loop.time())
        at = self.scheduler.reserve(chat_id, loop.time())
        if self.shared_budget:
            await self._shared_slot(chat_id)
        elif at > loop.time():
            await asyncio.sleep(at - loop.time())

    async def _shared_slot(self, chat_id: int) -> None:
        limits = self.limits
        gap = limits.group_window / limits.group if chat_id < 0 else limits.per_chat_seconds
        at = await self.ledger.reserve(chat_id, self.clock.now(), limits.spacing, gap * (1 + limits.margin))
        delay = (at - self.clock.now()).total_seconds()  # measured after the query, which took time
        if delay > 0:
            await asyncio.sleep(delay)
