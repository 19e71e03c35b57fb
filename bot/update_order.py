"""Updates of different chats at once; each chat's and each user's strictly in the order they came.

PTB handles updates one at a time by default, so one slow request (a broad search from a group) holds up
everyone's /help. `ChatOrder` lets the application handle updates concurrently, yet an update waits for
every earlier update of its chat and of its user: a guided flow (a `ConversationHandler`, keyed by chat
and user) sees its steps in order, a user's button presses and messages are answered in order, and
`user_data`/`chat_data` are never written by two updates at once.

Each update takes its place behind the last update of its chat and of its user when it arrives: a chain
per key, so the order is the arrival order and waiting never forms a cycle. Updates with neither a chat
nor a user (polls, for instance) wait for nothing.

PTB's semaphore (`max_concurrent_updates`) is taken before an update gets here; updates that wait for
their turn hold a place in it, so the limit is generous: a waiting update costs a suspended task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT_UPDATES = 512


def order_keys(update: object) -> tuple[tuple[str, int], ...]:
    """What an update must keep its order within: its chat and its user."""
    if not isinstance(update, Update):
        return ()
    chat, user = update.effective_chat, update.effective_user
    keys = []
    if chat is not None:
        keys.append(("chat", chat.id))
    if user is not None:
        keys.append(("user", user.id))
    return tuple(keys)


class ChatOrder(BaseUpdateProcessor):
    """Concurrent across chats and users, in order within each (see the module's docstring)."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._last: dict[tuple[str, int], asyncio.Future[None]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the earlier updates of this update's chat and user, then handle it."""
        keys = order_keys(update)
        earlier = {id(f): f for key in keys if (f := self._last.get(key)) is not None}
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for key in keys:
            self._last[key] = done
        started = False
        try:
            if earlier:
                await asyncio.wait(earlier.values())
            started = True
            await coroutine
        finally:
            if not started and asyncio.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting its turn: never started
            done.set_result(None)
            for key in keys:
                if self._last.get(key) is done:
                    del self._last[key]

    @property
    def waiting(self) -> int:
        """How many chats and users have an update being handled or waiting (for tests and reports)."""
        return len(self._last)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: the application awaits its update tasks itself."""
