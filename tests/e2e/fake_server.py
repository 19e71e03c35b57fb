"""A small fake Telegram Bot API served over loopback HTTP, for running the real bot process against.

It reads requests as `tests.fakes.botapi_wire` does (the wire format PTB's `HTTPXRequest` uses) and
answers the methods the bot calls during polling. Tests queue updates with `push_update` and wait for
the bot's replies with `wait_for_messages` / `wait_for_call`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.botapi_wire import parse_params, route

VALID_TOKEN = "123456:TEST-valid-token"
BOT_USER: dict[str, Any] = {
    "id": 123456,
    "is_bot": True,
    "first_name": "EMWP",
    "username": "emwp_e2e_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# The longest a getUpdates call is held open, whatever `timeout` the bot asks for.
LONG_POLL_CAP = 1.0


@dataclass
class Call:
    """One request the server answered: the method, its decoded parameters, and the status sent."""

    method: str
    params: dict[str, Any]
    token: str
    status: int
    result: Any = None


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)


class FakeBotApi:
    """The server: start it, point TELEGRAM_API_BASE_URL at `base_url`, then `stop()` it."""

    def __init__(self, valid_token: str = VALID_TOKEN, bot_user: dict[str, Any] | None = None) -> None:
        self.valid_token = valid_token
        self.bot_user = dict(bot_user or BOT_USER)
        self._cond = threading.Condition()
        self._state = _State()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._stopping = False
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-bot-api", daemon=True)
        self._thread.start()

    # --- the test-facing API -------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The bot's TELEGRAM_API_BASE_URL: PTB appends the token and `/method`."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every request answered so far, in order."""
        with self._cond:
            return list(self._state.calls)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; its update_id is assigned here and returned."""
        with self._cond:
            update_id = next(self._update_ids)
            self._state.updates.append({**update, "update_id": update_id})
            self._cond.notify_all()
        return update_id

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Every message the bot sent (or last edited) in this chat, in order of message_id."""
        with self._cond:
            return self._messages_to(chat_id)

    def wait_for_messages(self, chat_id: int, count: int, timeout: float) -> list[dict[str, Any]]:
        """Wait until at least `count` messages were sent to `chat_id`; return them all.

        On timeout the messages so far are returned (fewer than `count`): the caller asserts.
        """
        with self._cond:
            self._cond.wait_for(lambda: len(self._messages_to(chat_id)) >= count, timeout)
            return self._messages_to(chat_id)

    def wait_for_call(self, method: str, timeout: float, count: int = 1) -> list[Call]:
        """Wait until `method` was answered `count` times; return those calls (maybe fewer on timeout)."""
        return self.wait_for(lambda calls: [c for c in calls if c.method == method], count, timeout)

    def wait_for(self, select: Callable[[list[Call]], list[Call]], count: int, timeout: float) -> list[Call]:
        with self._cond:
            self._cond.wait_for(lambda: len(select(self._state.calls)) >= count, timeout)
            return select(list(self._state.calls))

    def stop(self) -> None:
        """Release any held long poll, stop serving and close the socket."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeBotApi:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- serving ---------------------------------------------------------------------------------

    def _messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self._state.messages.values() if m["chat"]["id"] == chat_id]

    def handle(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer one call; called from the request threads."""
        if token != self.valid_token:
            status, body = 401, _error(401, "Unauthorized")
        else:
            answer = getattr(self, f"_api_{method}", None)
            if answer is None:
                status, body = 404, _error(404, "Not Found: method not found")
            else:
                result = answer(params)
                if isinstance(result, tuple):
                    status, body = result[0], _error(*result)
                else:
                    status, body = 200, {"ok": True, "result": result}
        with self._cond:
            self._state.calls.append(Call(method, params, token, status, body.get("result")))
            self._cond.notify_all()
        return status, body

    def _api_getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    def _api_deleteWebhook(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_setWebhook(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_getWebhookInfo(self, _params: dict[str, Any]) -> dict[str, Any]:
        hooks = [c.params for c in self.calls_of("setWebhook")]
        return {
            "url": hooks[-1]["url"] if hooks else "",
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    def _api_setMyCommands(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_deleteMyCommands(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_answerCallbackQuery(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_sendChatAction(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_close(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_logOut(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        wait = max(0.0, min(float(params.get("timeout") or 0), LONG_POLL_CAP))
        deadline = time.monotonic() + wait
        with self._cond:
            # As Telegram does: an offset confirms (forgets) every update below it.
            self._state.updates = [u for u in self._state.updates if u["update_id"] >= offset]
            while not self._state.updates and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return [dict(u) for u in self._state.updates[:limit]]

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any] | tuple[int, str]:
        text = str(params.get("text", ""))
        if not text.strip():
            return 400, "Bad Request: message text is empty"
        if len(text) > 4096:
            return 400, "Bad Request: message is too long"
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            return 400, "Bad Request: chat not found"
        with self._cond:
            message: dict[str, Any] = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": self.bot_user,
                "text": text,
            }
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            self._state.messages[message["message_id"]] = message
        return dict(message)

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | tuple[int, str]:
        with self._cond:
            message = self._state.messages.get(int(params.get("message_id") or 0))
            if message is None or message["chat"]["id"] != params.get("chat_id"):
                return 400, "Bad Request: message to edit not found"
            message.update(text=str(params.get("text", "")), edit_date=int(time.time()))
            message.pop("reply_markup", None)
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return dict(message)


def _error(code: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description}


def _handler_class(api: FakeBotApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the calls log is the record."""

        def _serve(self) -> None:
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            found = route(url.path)
            if found is None:
                self._send(404, _error(404, "Not Found"))
                return
            token, method = found
            try:
                params = parse_params(url.query, self.headers.get("Content-Type", ""), body)
            except ValueError as exc:
                self._send(400, _error(400, f"Bad Request: {exc}"))
                return
            self._send(*api.handle(token, method, params))

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
