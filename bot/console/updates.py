"""Builds real Telegram `Update` objects, as the Bot API would deliver them."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update


@dataclass(frozen=True)
class Identity:
    """A Telegram user, and the chat they write in (their private chat unless given)."""

    user_id: int
    first_name: str
    language_code: str = "en"
    username: str | None = None
    chat_id: int | None = None
    chat_type: str = "private"
    chat_title: str | None = None

    @property
    def chat(self) -> dict[str, Any]:
        """The chat object of this identity's messages."""
        if self.chat_type == "private":
            return {"id": self.chat_id or self.user_id, "type": "private", "first_name": self.first_name}
        return {"id": self.chat_id, "type": self.chat_type, "title": self.chat_title or "Group"}

    @property
    def user(self) -> dict[str, Any]:
        """The `from` object of this identity's messages."""
        user: dict[str, Any] = {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.username:
            user["username"] = self.username
        return user


class UpdateFactory:
    """Numbers updates and messages the way Telegram does, so handlers see realistic objects."""

    def __init__(self, bot: Bot, start: int = 1) -> None:
        self._bot = bot
        self._update_ids = itertools.count(start)
        self._message_ids = itertools.count(1_000_000 + start)

    def message(self, who: Identity, text: str) -> Update:
        """A text message; a leading /command gets its `bot_command` entity as Telegram sets it."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": who.chat,
            "from": who.user,
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0]) if text.strip() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._update({"message": message})

    def attachment(self, who: Identity, kind: str, name: str) -> Update:
        """A document (or photo) sent as a message, with the file id Telegram would give it."""
        file_id = f"console-{kind}-{name}"[:100]
        body: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": who.chat,
            "from": who.user,
        }
        if kind == "photo":
            body["photo"] = [
                {"file_id": file_id, "file_unique_id": file_id[:32], "width": 640, "height": 480}
            ]
        else:
            body["document"] = {"file_id": file_id, "file_unique_id": file_id[:32], "file_name": name}
        return self._update({"message": body})

    def callback(self, who: Identity, message: dict[str, Any], data: str) -> Update:
        """A button press on a message the bot sent."""
        query = {
            "id": str(next(self._message_ids)),
            "from": who.user,
            "chat_instance": str(who.chat["id"]),
            "message": message,
            "data": data,
        }
        return self._update({"callback_query": query})

    def raw(self, payload: dict[str, Any]) -> Update:
        """Any other update body (member status changes and the like)."""
        return self._update(payload)

    def _update(self, body: dict[str, Any]) -> Update:
        update = Update.de_json({"update_id": next(self._update_ids), **body}, self._bot)
        assert update is not None
        return update
