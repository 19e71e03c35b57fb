"""Retention in PTB's JobQueue: every day at RETENTION_AT (local time, TZ), and once after start-up.

The store is the source of truth: each run reads what is due from it, so nothing needs remembering
between runs, and the run shortly after start-up catches up a day the bot was down. A late run still
runs (`misfire_grace_time=None`). Several processes may schedule it: on PostgreSQL an advisory lock
lets one of them work at a time, and the others stop (bot.services.retention).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, Job

from bot.services.retention import apply_retention
from handlers.context import DEPS_KEY, BotContext, Deps
from handlers.jobs import JOB_KWARGS

log = logging.getLogger(__name__)
DAILY = "retention"
STARTUP = "retention:startup"
STARTUP_DELAY_SECONDS = 120


async def retention_job(context: BotContext) -> None:
    """Apply the retention periods now, in batches; log what was done."""
    deps = context.deps
    report = await apply_retention(deps.uow, deps.retention, deps.clock.now())
    counts = report.counts
    log.info(
        "retention: %s member(s) pseudonymised, %s payload(s) emptied, %s request(s) and %s invitation(s) "
        "deleted in %s transaction(s), longest %.3f s%s",
        counts.members,
        counts.payloads,
        counts.requests,
        counts.invites,
        report.transactions,
        report.longest_transaction,
        "; another process is applying retention" if report.busy else "",
    )


def schedule_retention(app: Application[Any, Any, Any, Any, Any, Any]) -> list[Job[Any]]:
    """The daily job and the one after start-up (replacing any left from before)."""
    queue = app.job_queue
    if queue is None:
        return []
    deps: Deps = app.bot_data[DEPS_KEY]
    daily = queue.run_daily(
        retention_job,
        time=deps.retention_at,
        name=DAILY,
        job_kwargs={**JOB_KWARGS, "id": DAILY, "replace_existing": True},
    )
    first = queue.run_once(
        retention_job,
        when=STARTUP_DELAY_SECONDS,
        name=STARTUP,
        job_kwargs={**JOB_KWARGS, "id": STARTUP, "replace_existing": True},
    )
    return [daily, first]
