"""Scheduled work in PTB's JobQueue: one job per subscription, rebuilt from the store at start-up.

The store is the source of truth. A subscription's job, if its subscription is still due, sweeps every
digest due by now in one batch (Monday 08:00 is everyone's default: the first job sends them all, the
others find theirs done), then schedules each subscription it moved on at its new `next_due_at`. Jobs
have the id of their subscription, so rescheduling replaces one without scanning the others.
APScheduler's default misfire grace of one second would skip a late run silently; here a late job still
runs (`misfire_grace_time=None`), and a sweep every ten minutes catches anything a job missed. Digests
are keyed by subscription and period, so a double run sends nothing twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Any

from apscheduler.jobstores.base import JobLookupError
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
    """A subscription's time (or the ten-minute sweep's) has come: send what is due, reschedule."""
    job, deps, queue = context.job, context.deps, context.job_queue
    own = job.data if job is not None and isinstance(job.data, int) else None
    async with deps.digest_sweep:
        if own is not None:
            subscription = await digests.subscription(deps.uow, own)
            if subscription is None or subscription.paused or subscription.next_due_at > deps.clock.now():
                # Sent by an earlier job's sweep (which rescheduled it), paused, deleted, or not yet due.
                if queue is not None:
                    if subscription is None:
                        unschedule(queue, own)
                    else:
                        schedule(queue, subscription, deps.clock.now())
                return
        sweep = await send_digests(deps)
    log.info(
        "digests: %s sent, %s empty, %s missed, %s already done",
        sweep.sent,
        sweep.empty,
        sweep.missed,
        sweep.already_done,
    )
    if queue is not None:
        now = deps.clock.now()
        for subscription_id, when in sweep.next_due.items():
            schedule_at(queue, subscription_id, when, now)


def schedule(job_queue: JobQueue[Any], subscription: Subscription, now: dt.datetime) -> Job[Any] | None:
    """(Re)place the subscription's job at its next due time; none while paused."""
    if subscription.paused:
        unschedule(job_queue, subscription.id)
        return None
    return schedule_at(job_queue, subscription.id, subscription.next_due_at, now)


def schedule_at(
    job_queue: JobQueue[Any], subscription_id: int, when: dt.datetime, now: dt.datetime
) -> Job[Any]:
    """The subscription's job at `when` (now if that has passed), replacing the one it had."""
    name = job_name(subscription_id)
    kwargs = {**JOB_KWARGS, "id": name, "replace_existing": True}
    return job_queue.run_once(
        digest_job, when=max(when, now), data=subscription_id, name=name, job_kwargs=kwargs
    )


def unschedule(job_queue: JobQueue[Any], subscription_id: int) -> None:
    """Remove the subscription's job, if any."""
    with contextlib.suppress(JobLookupError):
        job_queue.scheduler.remove_job(job_name(subscription_id))


async def rebuild(app: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """At start-up: a job per live subscription, and the sweep."""
    deps: Deps = app.bot_data[DEPS_KEY]
    queue = app.job_queue
    if queue is None:
        return 0
    found = await digests.live_subscriptions(deps.uow)
    now = deps.clock.now()
    for subscription in found:
        schedule(queue, subscription, now)
    queue.run_repeating(
        digest_job, interval=SWEEP_SECONDS, first=30, name="digest:sweep", job_kwargs=JOB_KWARGS
    )
    return len(found)
