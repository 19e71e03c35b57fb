"""The background work (the outbox sender and the scheduled sweeps) runs in one process at a time: the one
holding its lease. Every process looks every third of the lease's length: the holder renews, the others
take the lease once it expired, so a dead holder's work resumes elsewhere within 4/3 of it (under a minute
by default)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import Application, Job, JobQueue

from bot.clock import Clock
from bot.metrics import BACKGROUND_HOLDER, SWEEP_SECONDS
from engines.composer import MessageComposer
from engines.sender import Sender, SenderConfig
from handlers.context import DEPS_KEY, Deps
from handlers.jobs import rebuild as rebuild_jobs
from handlers.maintenance import schedule_retention
from handlers.rounds_jobs import schedule_rounds
from storage.leases import Leases

log = logging.getLogger(__name__)
NAME = "background"
TTL = dt.timedelta(seconds=40)  # renewed every third of it: a dead holder's work resumes within 4/3 TTL
BACKGROUND_JOBS = (
    "digest",
    "retention",
    "round",
)  # the names of the sweeps' jobs (handlers.jobs, handlers.maintenance, handlers.rounds_jobs)
App = Application[Any, Any, Any, Any, Any, Any]


def process_name() -> str:
    """This process among others: host, pid and a random suffix."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class BackgroundLease:
    """Starts the work when this process takes the lease, stops it when the lease is lost or on `stop`."""

    def __init__(
        self,
        leases: Leases,
        clock: Clock,
        start: Callable[[], Awaitable[None]],
        stop: Callable[[], Awaitable[None]],
        *,
        holder: str | None = None,
        ttl: dt.timedelta = TTL,
    ) -> None:
        self.leases, self.clock = leases, clock
        self.holder = holder or process_name()
        self.ttl, self.renew = ttl, ttl / 3
        self._start, self._stop = start, stop
        self.held = False
        self.other_holds = False  # at the last look, another live process held it
        self._task: asyncio.Task[None] | None = None

    async def begin(self) -> None:
        """Look once now (so a lone process starts its work at once), then keep looking in the background."""
        await self.look()
        self._task = asyncio.get_running_loop().create_task(self._keep(), name="background-lease")

    async def end(self) -> None:
        """Stop looking, stop the work if it runs here, and give the lease up for the next process."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.held:
            await self._lose()
            with contextlib.suppress(Exception):
                await self.leases.release(NAME, self.holder, self.clock.now())

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.renew.total_seconds())
            await self.look()

    async def look(self) -> None:
        """Take or renew the lease; start or stop the work as that changed."""
        try:
            taken = await self.leases.take(NAME, self.holder, self.clock.now(), self.ttl)
        except Exception:
            log.warning("the background lease could not be renewed: the store did not answer")
            taken = False
        if taken and not self.held:
            log.info("this process (%s) runs the sender and the scheduled sweeps", self.holder)
            self.held = True
            BACKGROUND_HOLDER.set(1)
            await self._start()
        elif not taken and self.held:
            log.warning("the background lease was lost: stopping the sender and the sweeps here")
            await self._lose()
        self.other_holds = not taken and await self._other_holds()

    async def _other_holds(self) -> bool:
        try:
            return await self.leases.holder(NAME, self.clock.now()) not in (None, self.holder)
        except Exception:
            return False

    async def _lose(self) -> None:
        self.held = False
        BACKGROUND_HOLDER.set(0)
        await self._stop()

    def healthy(self, sender_running: bool) -> bool:
        """Whether the background work runs somewhere: here with its sender, or in another process."""
        return (self.held and sender_running) or (not self.held and self.other_holds)


def wake_sender(app: App) -> None:
    """Messages were queued: the sender, if it runs here, looks now."""
    sender = app.bot_data.get("sender")
    if isinstance(sender, Sender):
        sender.wake()


async def start_background(app: App, config: SenderConfig) -> None:
    """This process took the lease: start the sender; schedule the digests, rounds and retention."""
    deps: Deps = app.bot_data[DEPS_KEY]
    sender = Sender(app.bot, deps.uow, deps.clock, config, composer=MessageComposer(deps.uow))
    sender.start()
    app.bot_data["sender"] = sender
    scheduled = await rebuild_jobs(app)
    log.info("%s digest subscription(s) scheduled", scheduled)
    schedule_retention(app)
    rounds = await schedule_rounds(app)
    log.info("%s open round(s) scheduled", rounds)


async def stop_background(app: App) -> None:
    """The lease was lost or given up: the sender finishes what is in flight; the sweeps are unscheduled
    (the flows' timeouts stay)."""
    sender = app.bot_data.pop("sender", None)
    if isinstance(sender, Sender):
        await sender.stop()
    if app.job_queue is not None:
        for job in app.job_queue.jobs():
            if job.name and job.name.startswith(BACKGROUND_JOBS):
                job.schedule_removal()


class TimedJobQueue(JobQueue[Any]):
    """PTB's job queue, observing how long each run of a sweep's job takes (`emwp_sweep_seconds{sweep}`,
    the sweep named by the job's name up to its first colon)."""

    @staticmethod
    async def job_callback(job_queue: JobQueue[Any], job: Job[Any]) -> None:
        """Run the job as PTB does, timed when it is a sweep."""
        sweep = (job.name or "").split(":", 1)[0]
        if sweep not in BACKGROUND_JOBS:
            await JobQueue.job_callback(job_queue, job)
            return
        with SWEEP_SECONDS.labels(sweep).time():
            await JobQueue.job_callback(job_queue, job)
