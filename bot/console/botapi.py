"""An in-process Bot API at PTB's `BaseRequest` seam: answers like Telegram, records every call."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "EMWP",
    "username": "emwp_console_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class ApiCall:
    """One Bot API call the bot made: method name and decoded parameters."""

    method: str
    params: dict[str, Any]
    result: Any = None


@dataclass
class ChatState:
    """What the fake server knows of a chat: its type, its messages by id, and whether the bot left it."""

    type: str = "private"
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    left: bool = False


Listener = Callable[[ApiCall], None]


class InProcessBotApi(BaseRequest):
    """Serves the Bot API methods the bot uses; unknown methods fail loudly as Telegram would."""

    def __init__(self, bot_user: dict[str, Any] | None = None) -> None:
        self.bot_user = dict(bot_user or BOT_USER)
        self.calls: list[ApiCall] = []
        self.chats: dict[int, ChatState] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self._message_ids = itertools.count(1)
        self._listeners: list[Listener] = []

    @property
    def read_timeout(self) -> float | None:
        return None

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` after every answered call (the console prints from here)."""
        self._listeners.append(listener)

    def chat(self, chat_id: int, chat_type: str = "private") -> ChatState:
        """The state of a chat, created on first use."""
        return self.chats.setdefault(chat_id, ChatState(type=chat_type))

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[ApiCall]:
        """Calls of one method, optionally to one chat."""
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Decode the call, answer it, record it, tell listeners."""
        name = url.rsplit("/", 1)[-1]
        params = _decode(request_data)
        if request_data is not None and request_data.contains_files:
            params["_files"] = {key: value for key, value in request_data.multipart_data.items()}
        handler = getattr(self, f"_api_{name}", None)
        if handler is None:
            return 400, json.dumps(
                {"ok": False, "error_code": 400, "description": f"Bad Request: {name}"}
            ).encode()
        result = handler(params)
        if isinstance(result, tuple):
            return result[0], json.dumps(
                {"ok": False, "error_code": result[0], "description": result[1]}
            ).encode()
        call = ApiCall(name, params, result)
        self.calls.append(call)
        for listener in self._listeners:
            listener(call)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any] | tuple[int, str]:
        chat_id = int(params["chat_id"])
        chat = self.chat(chat_id)
        if chat.left:
            return 403, "Forbidden: bot is not a member of the group chat"
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat.type},
            "from": self.bot_user,
            **content,
        }
        if _has_buttons(params):
            message["reply_markup"] = params["reply_markup"]
        if params.get("protect_content"):
            message["has_protected_content"] = True
        chat.messages[message["message_id"]] = message
        return message

    def _api_getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any] | tuple[int, str]:
        text = str(params.get("text", ""))
        if not text.strip():
            return 400, "Bad Request: message text is empty"
        if len(text) > 4096:
            return 400, "Bad Request: message is too long"
        return self._message(params, text=text)

    def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any] | tuple[int, str]:
        upload = params.get("_files", {}).get("document")
        name = upload[0] if upload else "file"
        size = len(upload[1]) if upload else 0
        file_id = str(params.get("document")) if not upload else f"doc-{name}"
        doc = {"file_id": file_id, "file_unique_id": file_id[:32], "file_name": name}
        doc["file_size"] = size
        extra = {"caption": params["caption"]} if params.get("caption") else {}
        return self._message(params, document=doc, **extra)

    def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any] | tuple[int, str]:
        file_id = str(params.get("photo"))
        photo = [{"file_id": file_id, "file_unique_id": file_id[:32], "width": 640, "height": 480}]
        extra = {"caption": params["caption"]} if params.get("caption") else {}
        return self._message(params, photo=photo, **extra)

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | tuple[int, str]:
        chat = self.chat(int(params["chat_id"]))
        message = chat.messages.get(int(params["message_id"]))
        if message is None:
            return 400, "Bad Request: message to edit not found"
        message.update(text=params["text"], edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if _has_buttons(params):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _api_deleteMessages(self, params: dict[str, Any]) -> bool | tuple[int, str]:
        chat = self.chat(int(params["chat_id"]))
        ids = [int(i) for i in params.get("message_ids", [])]
        if not any(i in chat.messages for i in ids):
            return 400, "Bad Request: message to delete not found"
        for ident in ids:
            chat.messages.pop(ident, None)
        return True

    def _api_deleteMessage(self, params: dict[str, Any]) -> bool | tuple[int, str]:
        return self._api_deleteMessages({"chat_id": params["chat_id"], "message_ids": [params["message_id"]]})

    def _api_answerCallbackQuery(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands[json.dumps(params.get("scope", {"type": "default"}), sort_keys=True)] = params[
            "commands"
        ]
        return True

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(json.dumps(params.get("scope", {"type": "default"}), sort_keys=True), None)
        return True

    def _api_deleteWebhook(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_sendChatAction(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_leaveChat(self, params: dict[str, Any]) -> bool | tuple[int, str]:
        chat_id = int(params["chat_id"])
        if chat_id > 0:
            return 400, "Bad Request: chat member status can't be changed in private chats"
        chat = self.chat(chat_id, "supergroup")
        if chat.left:
            return 403, "Forbidden: bot is not a member of the supergroup chat"
        chat.left = True
        return True


def _has_buttons(params: dict[str, Any]) -> bool:
    markup = params.get("reply_markup")
    return isinstance(markup, dict) and bool(markup.get("inline_keyboard"))


def _decode(request_data: RequestData | None) -> dict[str, Any]:
    """Parameters as plain Python values (markup as dicts), as the wire would carry them."""
    if request_data is None:
        return {}
    return json.loads(json.dumps(request_data.parameters, default=str))  # type: ignore[no-any-return]
