"""PTB's persistence backed by the store: the step of every guided flow (a persistent ConversationHandler's
state per chat and user) and the users' and chats' flow data (drafts, a flow's answers, remembered
searches) survive a restart, so a flow continues at the step the user was on. Written after each update
(`bot.web.observe`), only what changed; a flow untouched for longer than its timeout is not restored."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from telegram import Update
from telegram.ext import Application, BasePersistence, ConversationHandler, PersistenceInput, TypeHandler
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from handlers.flow import TIMEOUT_SECONDS, Draft
from storage.flow_states import FlowStates

log = logging.getLogger(__name__)
DRAFT_TAG = "$draft"
ALIGN_GROUP = -2  # before every other handler group
Data = dict[Any, Any]


class StorePersistence(BasePersistence[Data, Data, Data]):
    """Conversation states, user data and chat data in the store's `flow_states`; never bot data (it holds
    the process's dependencies) nor callback data (buttons carry typed values)."""

    def __init__(self, states: FlowStates, now: Callable[[], dt.datetime], *, shared: bool = False) -> None:
        super().__init__(
            PersistenceInput(bot_data=False, chat_data=True, user_data=True, callback_data=False)
        )
        self._states, self._now = states, now
        self.shared = shared  # other processes may move a flow on: read it again at each update
        self._written: dict[tuple[str, str, str], str] = {}  # what the store holds, as JSON text

    async def get_user_data(self) -> dict[int, Data]:
        """Every user's flow data."""
        return {int(key): value for key, value in await self._load("user")}

    async def get_chat_data(self) -> dict[int, Data]:
        """Every chat's flow data."""
        return {int(key): value for key, value in await self._load("chat")}

    async def get_bot_data(self) -> Data:
        """Bot data is not kept (it holds this process's dependencies)."""
        return {}

    async def get_callback_data(self) -> CDCData | None:
        """Callback data is not kept (buttons carry typed values)."""
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        """The flows in progress of conversation `name`, except those abandoned longer than the timeout."""
        fresh_after = self._now() - dt.timedelta(seconds=TIMEOUT_SECONDS)
        found: ConversationDict = {}
        for key, state, at in await self._states.load("conversation", name):
            if at >= fresh_after:
                found[tuple(json.loads(key))] = state
            else:
                await self._states.forget("conversation", name, key)
        return found

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        """Keep the step a chat and user are on; forget an ended flow."""
        await self._write("conversation", name, json.dumps(list(key)), new_state)

    async def update_user_data(self, user_id: int, data: Data) -> None:
        """Keep a user's flow data."""
        await self._write("user", "", str(user_id), data or None)

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        """Keep a chat's flow data."""
        await self._write("chat", "", str(chat_id), data or None)

    async def update_bot_data(self, data: Data) -> None:
        """Bot data is not kept."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Callback data is not kept."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Forget a chat's flow data."""
        await self._write("chat", "", str(chat_id), None)

    async def drop_user_data(self, user_id: int) -> None:
        """Forget a user's flow data."""
        await self._write("user", "", str(user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        """With several processes, the user's flow data as the store has it now."""
        if self.shared:
            await self._refresh("user", str(user_id), user_data)

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        """With several processes, the chat's flow data as the store has it now."""
        if self.shared:
            await self._refresh("chat", str(chat_id), chat_data)

    async def steps_of(self, key: ConversationKey) -> dict[str, object]:
        """With several processes: the step each flow of this chat and user is on, as the store has it now
        (a flow abandoned past the timeout is not on any)."""
        fresh_after = self._now() - dt.timedelta(seconds=TIMEOUT_SECONDS)
        text = json.dumps(list(key))
        rows = await self._states.of_key("conversation", text)
        stored = {name: state for name, state, _ in rows}
        for name in {n for (kind, n, k) in self._written if kind == "conversation" and k == text} - set(
            stored
        ):
            self._written.pop(("conversation", name, text), None)  # ended elsewhere
        for name, state in stored.items():
            self._written[("conversation", name, text)] = json.dumps(state, sort_keys=True)
        return {name: state for name, state, at in rows if at >= fresh_after}

    async def refresh_bot_data(self, bot_data: Data) -> None:
        """Bot data is not kept."""

    async def flush(self) -> None:
        """Everything was written as it changed."""

    async def _refresh(self, kind: str, key: str, data: Data) -> None:
        found = await self._states.of_key(kind, key)
        value = found[0][1] if found else None
        if value is None:
            self._written.pop((kind, "", key), None)
        else:
            self._written[(kind, "", key)] = json.dumps(value, sort_keys=True)
        data.clear()
        data.update(decode(value) if value is not None else {})

    async def _load(self, kind: str) -> list[tuple[str, Any]]:
        loaded = []
        for key, value, _ in await self._states.load(kind):
            self._written[(kind, "", key)] = json.dumps(value, sort_keys=True)
            loaded.append((key, decode(value)))
        return loaded

    async def _write(self, kind: str, name: str, key: str, value: object | None) -> None:
        encoded = encode(value) if value is not None else None
        text = json.dumps(encoded, sort_keys=True) if encoded is not None else None
        slot = (kind, name, key)
        if self._written.get(slot) == text:
            return  # unchanged: no write
        if encoded is None:
            await self._states.forget(kind, name, key)
            self._written.pop(slot, None)
        else:
            await self._states.save(kind, name, key, encoded, self._now())
            self._written[slot] = text  # type: ignore[assignment]


def encode(value: object) -> Any:
    """JSON for flow data: drafts tagged with their class; values JSON cannot hold are left out."""
    if isinstance(value, Draft):
        kind = type(value)
        return {DRAFT_TAG: f"{kind.__module__}:{kind.__qualname__}", "v": value.model_dump(mode="json")}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items() if _keepable(v)}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def _keepable(value: object) -> bool:
    if isinstance(value, Draft | dict | list | tuple | str | int | float | bool) or value is None:
        return True
    log.warning("flow data of type %s is not kept across restarts", type(value).__name__)
    return False


def decode(value: Any) -> Any:
    """Flow data as it was kept: drafts made again from their class (a draft whose class or fields changed
    since is dropped: its flow starts over)."""
    if isinstance(value, dict):
        if DRAFT_TAG in value:
            return _draft(value)
        decoded = {k: decode(v) for k, v in value.items()}
        return {k: v for k, v in decoded.items() if v is not _GONE}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


_GONE = object()


def _draft(value: dict[str, Any]) -> Any:
    module, _, qualname = str(value[DRAFT_TAG]).partition(":")
    try:
        kind: Any = importlib.import_module(module)
        for part in qualname.split("."):
            kind = getattr(kind, part)
        if not (isinstance(kind, type) and issubclass(kind, Draft) and issubclass(kind, BaseModel)):
            return _GONE
        return kind.model_validate(value["v"])
    except (ImportError, AttributeError, ValueError):
        return _GONE


def follow_other_processes(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """With several processes: before anything else sees an update, every persistent flow of its chat and
    user is put at the step the store has (another process may have moved it on, or ended it)."""
    persistence = app.persistence
    if not isinstance(persistence, StorePersistence) or not persistence.shared:
        return
    flows = [
        h
        for group in app.handlers.values()
        for h in group
        if isinstance(h, ConversationHandler) and h.persistent
    ]

    async def align(update: Update, _context: object) -> None:
        """Put this chat and user's flows at their stored steps."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None:
            return
        await app.update_persistence()  # what changed here meanwhile (a flow's timeout) is stored first
        key = (chat.id, user.id)
        steps = await persistence.steps_of(key)
        for flow in flows:
            held = flow._conversations  # PTB keeps the steps here; it offers no way to set one
            if flow.name in steps:
                if held.get(key) != steps[flow.name]:
                    held[key] = steps[flow.name]
            elif key in held:
                held.pop(key)

    app.add_handler(TypeHandler(Update, align), group=ALIGN_GROUP)
