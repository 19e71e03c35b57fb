"""Scheduled work in PTB's JobQueue: one job per subscription, rebuilt from the store at start-up.

The store is the source of truth: each job sends whatever is due for its subscription, then schedules
the next one from the row's `next_due_at`. APScheduler's default misfire grace of one second would skip
a late run silently; here a late job still runs (`misfire_grace_time=None`), and a sweep every ten
minutes catches anything a job missed. Digests are keyed by subscription and period, so a double run
sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram.ext import Application, Job, JobQueue

from bot.domain.digests import Subscription
from bot.services import digests
from bot.services.catalog import place_names
from handlers.context import DEPS_KEY, BotContext, Deps
from handlers.digest_render import DigestRenderer

log = logging.getLogger(__name__)
SWEEP_SECONDS = 600
JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True}


def job_name(subscription_id: int) -> str:
    """The JobQueue name of a subscription's job."""
    return f"digest:{subscription_id}"


async def send_digests(deps: Deps, only: list[int] | None = None) -> digests.Sweep:
    """Queue every due digest (of `only` if given) and ring the outbox."""
    regions, countries = await place_names(deps.uow)
    sweep = await digests.send_due(deps.uow, deps.clock.now(), DigestRenderer(regions, countries), only)
    if sweep.sent:
        deps.outbox.wake()
    return sweep


async def digest_job(context: BotContext) -> None:
    """A subscription's time (or the sweep) has come."""
    job = context.job
    only = [int(job.data)] if job is not None and isinstance(job.data, int) else None
    sweep = await send_digests(context.deps, only)
    log.info(
        "digests: %s sent, %s empty, %s missed, %s already done",
        sweep.sent,
        sweep.empty,
        sweep.missed,
        sweep.already_done,
    )
    if context.job_queue is not None:
        for subscription in await digests.schedule(context.deps.uow):
            if only is None or subscription.id in only:
                schedule(context.job_queue, subscription, context.deps.clock.now())


def schedule(job_queue: JobQueue[Any], subscription: Subscription, now: dt.datetime) -> Job[Any] | None:
    """(Re)place the subscription's job at its next due time; none while paused."""
    unschedule(job_queue, subscription.id)
    if subscription.paused:
        return None
    when = max(subscription.next_due_at, now)
    return job_queue.run_once(
        digest_job, when=when, data=subscription.id, name=job_name(subscription.id), job_kwargs=JOB_KWARGS
    )


def unschedule(job_queue: JobQueue[Any], subscription_id: int) -> None:
    """Remove the subscription's job, if any."""
    for job in job_queue.get_jobs_by_name(job_name(subscription_id)):
        job.schedule_removal()


async def rebuild(app: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """At start-up: a job per live subscription, and the sweep."""
    deps: Deps = app.bot_data[DEPS_KEY]
    queue = app.job_queue
    if queue is None:
        return 0
    found = await digests.schedule(deps.uow)
    now = deps.clock.now()
    for subscription in found:
        schedule(queue, subscription, now)
    queue.run_repeating(
        digest_job, interval=SWEEP_SECONDS, first=30, name="digest:sweep", job_kwargs=JOB_KWARGS
    )
    return len(found)
