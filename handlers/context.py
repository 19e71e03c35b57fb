"""The typed context every callback gets, carrying the bot's dependencies."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.domain.model import Viewer
from bot.domain.retention import RetentionPolicy
from bot.ports import UnitOfWorkFactory, heavy_reads
from bot.services.budgets import RequestBudgets
from bot.services.identity import identify
from bot.services.search import TIME_LIMIT
from handlers.statement import load_statements

DEPS_KEY = "deps"
Handler = Callable[[Update, "BotContext"], Coroutine[Any, Any, Any]]


class Waker:
    """Tells the outbox sender that messages were queued, when a sender runs in this process."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[], None]] = []

    def attach(self, callback: Callable[[], None]) -> None:
        """Call `callback` on every `wake`."""
        self._callbacks.append(callback)

    def wake(self) -> None:
        """Messages were queued."""
        for callback in self._callbacks:
            callback()


class Lane:
    """Where expensive requests run: one at a time, in the order they came. The application handles other
    chats meanwhile (`bot.update_order.ChatOrder`), and the lane runs each request in its update
    (`beside=False`, as the application has it), so the chat's next update comes after the answer; its
    reads are `heavy_reads`, kept off the event loop's thread. With `beside=True` the request runs in a
    task of its own while the application goes on with the next updates, even of the same chat. The
    application's `stop` awaits what is still in the lane (its tasks are the application's); tests
    `drain` it."""

    def __init__(self, beside: bool = True) -> None:
        self.beside = beside
        self._turn = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def run(self, update: Update, context: BotContext, callback: Handler) -> None:
        """Run `callback` for this update in its turn, beside the next updates or before them; a failure
        goes to the error handlers, as in any handler."""
        if not self.beside:
            await self._in_turn(update, context, callback)
            return
        task = context.application.create_task(self._in_turn(update, context, callback), update=update)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _in_turn(self, update: Update, context: BotContext, callback: Handler) -> None:
        async with self._turn:
            with heavy_reads():
                await callback(update, context)

    async def drain(self) -> None:
        """Wait until every request in the lane was answered (failures were handled where they arose)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)


@dataclass(frozen=True)
class Deps:
    """What handlers need from the outside world: the store (as a port), the clock, the outbox's bell,
    and the abuse limits (budgets of expensive requests, the time a search may take)."""

    uow: UnitOfWorkFactory
    clock: Clock
    outbox: Waker = field(default_factory=Waker)
    budgets: RequestBudgets = field(default_factory=RequestBudgets)
    lane: Lane = field(default_factory=Lane)
    search_time_limit: dt.timedelta = TIME_LIMIT
    # One digest sweep at a time: the jobs of subscriptions due together share the first one's sweep.
    digest_sweep: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The privacy statement by language, and the retention periods with the daily run's local time.
    privacy: Mapping[str, str] = field(default_factory=lambda: load_statements(None, RetentionPolicy()))
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    retention_at: dt.time = dt.time(3, 30)


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[str, Any]]):
    """`CallbackContext` with typed access to the dependencies."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def deps(self) -> Deps:
        """The dependencies set by `bot.app.build_application`."""
        deps = self.bot_data[DEPS_KEY]
        assert isinstance(deps, Deps)
        return deps

    async def viewer(self, update: Update) -> Viewer:
        """Who sent this update (looked up once per update and kept on the context)."""
        cached = getattr(self, "_viewer", None)
        if isinstance(cached, Viewer):
            return cached
        user = update.effective_user
        chat = update.effective_chat
        in_group = chat is not None and chat.type != "private"
        viewer = await identify(
            self.deps.uow,
            user.id if user else 0,
            user.language_code if user else None,
            in_group=in_group,
            group_id=chat.id if chat is not None and in_group else None,
        )
        self._viewer = viewer
        return viewer
