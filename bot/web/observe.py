"""The observed application: one log line and the metrics of every update (its id, chat, command or
button, outcome and duration). Only the command's name is kept, never its arguments (an invitation token
travels as `/start TOKEN`), and never the text a user typed."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import time
from collections.abc import Awaitable, Generator, Iterable
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.metrics import HANDLING_SECONDS, UPDATES

log = logging.getLogger("emwp.updates")
_failed: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar("update_failed", default=None)
T = TypeVar("T")
COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s|$)")


class ObservedApplication(Application[Any, Any, Any, Any, Any, Any]):
    """`Application` whose every update leaves one log line and its metrics."""

    _known: tuple[frozenset[str], tuple[re.Pattern[str], ...]] | None = None

    async def process_update(self, update: object) -> None:
        """Handle the update as PTB does, then record what happened and how long it took."""
        failed: list[bool] = []
        token = _failed.set(failed)
        started = time.perf_counter()
        try:
            await super().process_update(update)
            if self.persistence is not None:
                await self.update_persistence()  # the flow's step is kept before the next update
        except BaseException:
            failed.append(True)
            raise
        finally:
            _failed.reset(token)
            if isinstance(update, Update):
                self._observe(update, "error" if failed else "ok", time.perf_counter() - started)

    def create_task(
        self,
        coroutine: Generator[asyncio.Future[object], None, T] | Awaitable[T],
        update: object | None = None,
        *,
        name: str | None = None,
    ) -> asyncio.Task[T]:
        """A task working for an update (an expensive request in its lane) keeps what it changed of the
        flow's data when it ends, as the update itself does."""
        if isinstance(update, Update) and self.persistence is not None:
            coroutine = self._then_kept(coroutine, update)
        return super().create_task(coroutine, update=update, name=name)

    async def _then_kept(
        self, coroutine: Generator[asyncio.Future[object], None, T] | Awaitable[T], update: Update
    ) -> T:
        try:
            return await coroutine  # type: ignore[misc,no-any-return]  # PTB's own union of awaitables
        finally:
            chat, user = update.effective_chat, update.effective_user
            self.mark_data_for_update_persistence(
                chat_ids=chat.id if chat else None, user_ids=user.id if user else None
            )
            await self.update_persistence()

    async def process_error(self, update: object | None, error: Exception, *args: Any, **kwargs: Any) -> bool:
        """Mark the update in hand as failed, then let the error handlers answer."""
        failed = _failed.get()
        if failed is not None and update is not None:
            failed.append(True)
        return await super().process_error(update, error, *args, **kwargs)

    def _observe(self, update: Update, outcome: str, seconds: float) -> None:
        action = self.action_of(update)
        UPDATES.labels(action, outcome).inc()
        HANDLING_SECONDS.observe(seconds)
        chat = update.effective_chat
        log.info(
            "update %s chat %s %s %s in %.1f ms",
            update.update_id,
            chat.id if chat else "-",
            action,
            outcome,
            seconds * 1000,
            extra={
                "update_id": update.update_id,
                "chat_id": chat.id if chat else None,
                "action": action,
                "outcome": outcome,
                "duration_ms": round(seconds * 1000, 1),
            },
        )

    def action_of(self, update: Update) -> str:
        """The command (`/help`) or button kind (`button:fol`) an update is, by names this bot registered
        (anything else is `/other` or `button:other`, so a forged value never becomes a metric label)."""
        commands, patterns = self._known_actions()
        message = update.message or update.edited_message
        if update.callback_query is not None:
            data = update.callback_query.data or ""
            if any(p.match(data) for p in patterns):
                return "button:" + data.split(":", 1)[0]
            return "button:other"
        if message is not None:
            found = COMMAND.match(message.text or message.caption or "")
            if found:
                name = found.group(1).lower()
                return f"/{name}" if name in commands else "/other"
            return "text" if message.text is not None else "message"
        for kind in ("my_chat_member", "chat_member", "chat_join_request", "inline_query"):
            if getattr(update, kind, None) is not None:
                return kind
        return "other"

    def _known_actions(self) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
        if self._known is None:
            commands: set[str] = set()
            patterns: list[re.Pattern[str]] = []
            for handler in _walk(h for group in self.handlers.values() for h in group):
                if isinstance(handler, CommandHandler):
                    commands.update(handler.commands)
                elif isinstance(handler, CallbackQueryHandler) and isinstance(handler.pattern, re.Pattern):
                    patterns.append(handler.pattern)
            self._known = (frozenset(commands), tuple(patterns))
        return self._known


def _walk(handlers: Iterable[BaseHandler[Any, Any, Any]]) -> Iterable[BaseHandler[Any, Any, Any]]:
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            yield from _walk(handler.entry_points)
            yield from _walk(h for state in handler.states.values() for h in state)
            yield from _walk(handler.fallbacks)
        else:
            yield handler


def allowed_updates(app: Application[Any, Any, Any, Any, Any, Any]) -> list[str]:
    """The kinds of update some registered handler takes: what setWebhook asks Telegram for."""
    kinds: set[str] = set()
    for handler in _walk(h for group in app.handlers.values() for h in group):
        if isinstance(handler, CallbackQueryHandler):
            kinds.add(Update.CALLBACK_QUERY)
        elif isinstance(handler, ChatMemberHandler):
            which = handler.chat_member_types
            if which in (ChatMemberHandler.MY_CHAT_MEMBER, ChatMemberHandler.ANY_CHAT_MEMBER):
                kinds.add(Update.MY_CHAT_MEMBER)
            if which in (ChatMemberHandler.CHAT_MEMBER, ChatMemberHandler.ANY_CHAT_MEMBER):
                kinds.add(Update.CHAT_MEMBER)
        elif isinstance(handler, CommandHandler | MessageHandler):
            kinds.add(Update.MESSAGE)
    return sorted(kinds)
