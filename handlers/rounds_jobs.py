"""Rounds in PTB's JobQueue: a job at each open round's deadline, and a sweep every minute for reminders
and for any compilation a job missed (the bot was down at the deadline: the first sweep after start-up
makes it). The store is the source of truth: a round is compiled once (its status moves from open to
compiled in the transaction that queues the compilation) and each reminder stage is recorded once."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref
from typing import Any

from telegram.ext import Application, JobQueue

from bot.domain.rounds import Round
from bot.services.round_deadlines import compile_due, open_rounds, remind_due
from handlers.context import DEPS_KEY, BotContext, Deps
from handlers.jobs import JOB_KWARGS
from handlers.rounds_messages import RoundMessenger, document_labels

log = logging.getLogger(__name__)
SWEEP = "rounds:sweep"
SWEEP_SECONDS = 60
MESSENGER = RoundMessenger()
# One sweep at a time in this process (the store keeps processes apart); a lock belongs to its event loop.
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def sweep(deps: Deps) -> tuple[int, int]:
    """Compile what is due, then send the reminders due; (rounds compiled, reminders queued)."""
    async with _turns.setdefault(asyncio.get_running_loop(), asyncio.Lock()):
        now = deps.clock.now()
        compiled = await compile_due(deps.uow, now, MESSENGER, document_labels)
        reminded = await remind_due(deps.uow, now, MESSENGER)
    if compiled or reminded.messages:
        deps.outbox.wake()
        log.info("rounds: %s compiled, %s reminder(s) queued", len(compiled), reminded.messages)
    return len(compiled), reminded.messages


async def rounds_job(context: BotContext) -> None:
    """A deadline has come, or the minute's sweep."""
    await sweep(context.deps)


def at_deadline(queue: JobQueue[Any] | None, rnd: Round, now: dt.datetime) -> None:
    """(Re)place the round's job at its deadline (now if it has passed)."""
    if queue is None:
        return
    name = f"round:{rnd.id}"
    kwargs = {**JOB_KWARGS, "id": name, "replace_existing": True}
    queue.run_once(rounds_job, when=max(rnd.deadline, now), name=name, job_kwargs=kwargs)


async def schedule_rounds(app: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """At start-up: a job at each open round's deadline, and the sweep (its first run at once)."""
    queue = app.job_queue
    if queue is None:
        return 0
    deps: Deps = app.bot_data[DEPS_KEY]
    found = await open_rounds(deps.uow)
    now = deps.clock.now()
    for rnd in found:
        at_deadline(queue, rnd, now)
    kwargs = {**JOB_KWARGS, "id": SWEEP, "replace_existing": True}
    queue.run_repeating(rounds_job, interval=SWEEP_SECONDS, first=1, name=SWEEP, job_kwargs=kwargs)
    return len(found)
