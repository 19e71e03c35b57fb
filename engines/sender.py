"""The sender: a background engine that takes due outbox rows and sends them at Telegram's limits,
checking the read rules right before each send and recording every outcome."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import random
import socket
import uuid
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.clock import Clock
from bot.domain.outbox import Delivered, Queued, RetryPolicy
from bot.domain.rate import Limits, Started
from bot.domain.reveals import Hold
from bot.ports import UnitOfWorkFactory
from bot.services.outbox import Ledger
from engines.bot_calls import perform
from engines.composer import Composer
from engines.pacing import Pacer

log = logging.getLogger(__name__)
HOLD_SLACK = 5.0  # seconds past its retry time a chat waits for its retried row before going on without it
GONE = ("chat not found", "user is deactivated", "bot was kicked", "chat was deleted", "have no rights")
REMAKE_ATTEMPTS = 3  # a message whose content changes again while being made again is held after this
RELEASE_SECONDS = 1.0  # how often the claim loop looks for scheduled notices whose time has come


@dataclasses.dataclass(frozen=True)
class SenderConfig:
    """How the sender works; the defaults suit one bot token against Telegram."""

    limits: Limits = dataclasses.field(default_factory=Limits)
    workers: int = 16
    batch: int = 200
    lease: dt.timedelta = dt.timedelta(seconds=60)
    idle_poll_seconds: float = 1.0
    # Several processes share the token (PostgreSQL): take rate slots from the store, not from memory.
    shared_budget: bool = False
    retry: RetryPolicy = dataclasses.field(default_factory=RetryPolicy)


class Sender:
    """A claim loop feeding per-chat-ordered worker queues; each send waits for its rate slot."""

    def __init__(
        self,
        bot: Bot,
        uow: UnitOfWorkFactory,
        clock: Clock,
        config: SenderConfig | None = None,
        worker_id: str | None = None,
        rng: random.Random | None = None,
        composer: Composer | None = None,
    ) -> None:
        self.config = config or SenderConfig()
        self.bot = bot
        self.clock = clock
        self.ledger = Ledger(
            uow, worker_id or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}", self.config.lease
        )
        self.pacer = Pacer(self.config.limits, self.config.shared_budget, self.ledger, clock)
        self.scheduler = self.pacer.scheduler
        self.composer = composer
        self._released_at = -RELEASE_SECONDS
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._queues: list[asyncio.Queue[Queued]] = []
        self._in_memory = 0
        # chat → (id of its retried row, loop time the hold ends): its later rows wait for that row
        self._deferred: dict[int, tuple[int, float]] = {}

    def start(self) -> None:
        """Run in the background of the current event loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="outbox-sender")

    @property
    def running(self) -> bool:
        """Whether the background loop started by `start` is still going."""
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Something was enqueued: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Finish the messages in flight, hand back the rest, and stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), grace_seconds)
            self._task = None

    async def drain(self, limit: int | None = None) -> None:
        """Send everything due now (at most `limit` rows), then return (tests and the console use it)."""
        await self.run(until_idle=True, limit=limit)

    async def run(self, until_idle: bool = False, limit: int | None = None) -> None:
        """Claim due rows and feed the workers until stopped (or, with `until_idle`, until nothing is due
        or `limit` rows were claimed)."""
        self._queues = [asyncio.Queue() for _ in range(self.config.workers)]
        workers = [asyncio.create_task(self._work(q)) for q in self._queues]
        left, first = limit, True
        try:
            while not self._stopping:
                await self._release_due(force=first)
                first = False
                claimed = await self._claim(left)
                if left is not None:
                    left -= claimed
                    if left <= 0:
                        until_idle, claimed = True, 0
                if not claimed and until_idle and self._in_memory == 0:
                    break
                if not claimed:
                    await (asyncio.sleep(0.01) if until_idle else self._idle())
        finally:
            for queue in self._queues:
                queue.put_nowait(_STOP)
            await asyncio.gather(*workers, return_exceptions=True)
            leftover = [row.id for q in self._queues for row in _drain(q) if row is not _STOP]
            await self.ledger.release(leftover, self.clock.now())

    async def _release_due(self, force: bool) -> None:
        """Now and then, let the composer queue what became due (each once across processes)."""
        now = asyncio.get_running_loop().time()
        if self.composer is None or (not force and now - self._released_at < RELEASE_SECONDS):
            return
        self._released_at = now
        try:
            if await self.composer.release_due(self.clock.now()):
                self._wake.set()
        except Exception:
            log.exception("releasing due notices failed; retrying")

    async def _claim(self, limit: int | None = None) -> int:
        if limit is None and self._in_memory > self.config.batch // 4:  # enough in hand: claim in batches
            await asyncio.sleep(0.05)
            return 1
        if limit is not None and self._in_memory:
            await asyncio.sleep(0.01)  # a bounded drain hands rows out only as fast as they go
            return 1
        room = self.config.batch - self._in_memory if limit is None else min(limit, self.config.batch)
        try:
            rows = await self.ledger.claim(self.clock.now(), room)
        except Exception:
            log.exception("outbox claim failed; retrying")
            await asyncio.sleep(self.config.idle_poll_seconds)
            return 0
        # Per-chat rate state older than the windows is dropped, so a long-running sender stays small.
        self.scheduler.forget_idle(asyncio.get_running_loop().time())
        for row in rows:
            self._in_memory += 1
            self._queues[hash(row.chat_id) % len(self._queues)].put_nowait(row)
        return len(rows)

    async def _idle(self) -> None:
        self._wake.clear()
        wait = self.config.idle_poll_seconds
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), wait)

    async def _work(self, queue: asyncio.Queue[Queued]) -> None:
        while True:
            row = await queue.get()
            if row is _STOP:
                return
            if self._stopping:
                queue.put_nowait(row)  # handed back in run()'s finally
                queue.put_nowait(_STOP)
                return
            if await self._held_back(row):
                self._in_memory -= 1
                continue
            try:
                await self._deliver(row)
            except Exception:  # a bug or the store is down: the lease expires and the row is tried again
                log.exception("outbox row %s could not be processed", row.id)
            finally:
                self._in_memory -= 1

    async def _deliver(self, row: Queued) -> None:
        loop = asyncio.get_running_loop()
        index = row.parts_sent
        while index < row.steps:
            await self.pacer.slot(row.chat_id)
            # The read rules, as of now, right before the send: held rows are recorded with the reason,
            # rows whose content changed are made again first.
            verdict = await self.ledger.begin(row, self.clock.now())
            for _ in range(REMAKE_ATTEMPTS):  # made again, then checked again in the slot already granted
                if verdict is None or not verdict.refresh:
                    break
                remade = await self._remade(row)
                if remade is None:
                    return
                row = remade
                verdict = await self.ledger.begin(row, self.clock.now())
            if verdict is None or not verdict.send:
                if verdict is not None and verdict.refresh:  # it keeps changing: not now
                    await self.ledger.withhold(row, Hold.CHANGED, self.clock.now())
                return
            # The store's write took a while: a window crowded meanwhile is waited for (at most a window
            # and a half), but a 429 meanwhile hands the row back, unsent and unflagged, for after the
            # pause (which could outlast the lease), its chat's later rows behind it.
            while (delay := self.pacer.hold(loop.time())) > 0:
                pause = self.scheduler.paused_until - loop.time()
                if pause > 0:
                    self._hold_chat(row, pause)
                    await self.ledger.retry(row, pause, "429 pause", self.clock.now(), attempt=False)
                    return
                await asyncio.sleep(delay)
            started = self.scheduler.starting(row.chat_id, loop.time())
            outcome = await self._send_part(row, index, started)
            if outcome is None:
                return
            stale = await self._record_sent(row, outcome)
            row = dataclasses.replace(row, parts_sent=index + 1, message_ids=(*row.message_ids, outcome))
            index += 1
            if stale and index >= row.steps:
                await self._recheck(row)

    async def _remade(self, row: Queued) -> Queued | None:
        """The row's message made again as of now, stored; None (and held) if nothing is left to send."""
        fresh = await self.composer.refresh(row, self.clock.now()) if self.composer else None
        if fresh is None:
            await self.ledger.withhold(row, Hold.NOTHING_LEFT, self.clock.now())
            return None
        return await self.ledger.rewrite(row, fresh, self.clock.now())

    async def _recheck(self, row: Queued) -> None:
        """What the row shows changed while it was in flight: its delivered copy is corrected (deleted
        where its recipient may no longer read it, made again where it changed)."""
        verdict = await self.ledger.verdict(row)
        if verdict.send:
            return
        fresh = None
        if verdict.refresh and self.composer is not None:
            fresh = await self.composer.refresh(row, self.clock.now())
        copy = Delivered(
            row.id, row.chat_id, row.kind, row.member_id, row.message_ids, len(row.parts), None, row.protect
        )
        # Just delivered: within Telegram's deletion window whatever the clock says.
        copy = dataclasses.replace(copy, sent_at=self.clock.now())
        await self.ledger.correct(copy, fresh, None, self.clock.now())
        self._wake.set()

    async def _record_sent(self, row: Queued, message_id: int) -> bool:
        """Record a delivered part (True: what it shows changed while in flight); retried, since losing
        this write would send the part again later."""
        for attempt in range(5):
            try:
                return await self.ledger.sent(row, message_id, self.clock.now())
            except Exception:
                if attempt == 4:
                    raise
                log.warning("recording outbox row %s as sent failed; retrying", row.id, exc_info=True)
                await asyncio.sleep(0.1 * (attempt + 1))
        raise AssertionError("unreachable")

    async def _send_part(self, row: Queued, index: int, started: Started) -> int | None:
        """Send one part; return Telegram's message id, or None after recording why not."""
        try:
            try:
                message_id = await perform(self.bot, row, index, self.ledger.stored_file)
            finally:
                self.scheduler.answered(started, asyncio.get_running_loop().time())
        except RetryAfter as exc:
            await self._too_many(row, exc)
        except Forbidden as exc:
            await self.ledger.unreachable(row.chat_id, f"403 {exc.message}", self.clock.now())
        except BadRequest as exc:
            await self._bad_request(row, exc)
        except (TimedOut, NetworkError) as exc:
            await self._transient(row, exc)
        except TelegramError as exc:
            await self._transient(row, exc)
        else:
            return message_id
        return None

    def _hold_chat(self, row: Queued, seconds: float) -> None:
        """Rows of this chat behind `row` are not sent before it: the store deferred those it held."""
        until = asyncio.get_running_loop().time() + seconds + HOLD_SLACK
        held = self._deferred.get(row.chat_id)
        self._deferred[row.chat_id] = (min(row.id, held[0]) if held else row.id, until)

    async def _held_back(self, row: Queued) -> bool:
        """True if the row waits behind its chat's retried row: handed back to the queue until the hold
        ends (the store already deferred the rows claimed before the retry; this catches those claimed
        since). The hold ends when the retried row comes back here, or when it should long have been
        sent (another process took it)."""
        held = self._deferred.get(row.chat_id)
        if held is None:
            return False
        first, until = held
        left = until - asyncio.get_running_loop().time()
        if row.id <= first or left <= 0:
            del self._deferred[row.chat_id]  # the chat's order resumes
            return False
        now = self.clock.now()
        await self.ledger.hold_chat(row.chat_id, first, now + dt.timedelta(seconds=left), now)
        return True

    async def _too_many(self, row: Queued, exc: RetryAfter) -> None:
        seconds = (
            exc.retry_after.total_seconds() if isinstance(exc.retry_after, dt.timedelta) else exc.retry_after
        )
        loop_now = asyncio.get_running_loop().time()
        self.scheduler.pause(
            float(seconds), loop_now
        )  # Telegram's flood limit is the bot's: pause everything
        log.warning("429 from Telegram: pausing %.1f s", seconds)
        self._hold_chat(row, float(seconds))
        await self.ledger.retry(
            row, float(seconds), f"429 retry after {seconds}", self.clock.now(), attempt=False
        )

    async def _bad_request(self, row: Queued, exc: BadRequest) -> None:
        text = exc.message.lower()
        if any(reason in text for reason in GONE):
            await self.ledger.unreachable(row.chat_id, f"400 {exc.message}", self.clock.now())
        else:  # a message Telegram will never accept: retrying cannot help
            await self.ledger.fail(row, f"400 {exc.message}", self.clock.now())

    async def _transient(self, row: Queued, exc: Exception) -> None:
        attempts = row.attempts + 1
        reason = f"{type(exc).__name__}: {exc}"
        if self.config.retry.exhausted(attempts):
            await self.ledger.fail(row, f"gave up after {attempts} attempts: {reason}", self.clock.now())
            return
        delay = self.config.retry.delay(attempts, self._rng)
        self._hold_chat(row, delay)
        # A timed-out request may still have reached Telegram: if it did, the retry is a duplicate.
        await self.ledger.retry(
            row, delay, reason, self.clock.now(), attempt=True, maybe_duplicate=isinstance(exc, TimedOut)
        )


class _Stop:
    """Sentinel telling a worker to finish."""


_STOP: Any = _Stop()


def _drain(queue: asyncio.Queue[Queued]) -> list[Queued]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items
