"""The typed context every callback gets, carrying the bot's dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.domain.model import Viewer
from bot.ports import UnitOfWorkFactory
from bot.services.identity import identify

DEPS_KEY = "deps"


@dataclass(frozen=True)
class Deps:
    """What handlers need from the outside world: the store (as a port) and the clock."""

    uow: UnitOfWorkFactory
    clock: Clock


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
            self.deps.uow, user.id if user else 0, user.language_code if user else None, in_group=in_group
        )
        self._viewer = viewer
        return viewer
