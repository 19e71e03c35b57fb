"""A fake Telegram Bot API that enforces Telegram's flood limits, served over loopback HTTP.

For testing and benchmarking a message sender: point `telegram.Bot(token, base_url=server.base_url)`
(or any HTTP client) at it, send, then assert on the ledger of what was *delivered*.

* A small HTTP/1.1 server on an asyncio Protocol (keep-alive, pipelining, Content-Length or chunked
  bodies; urlencoded, JSON and multipart requests), in a background thread with its own event loop.
* Send methods (sendMessage, sendDocument, sendPhoto, copyMessage) count against sliding-window
  limits kept over the exact arrival times of delivered sends: overall per second, per private chat
  (chat id > 0), per group chat (chat id < 0). A send that would exceed one is answered 429 with
  `retry_after` and is not delivered.
* Failure injection: blocked chats (403), missing chats (400), a fraction of sends answered 502, a
  fraction held and then dropped without an answer (the client's read timeout fires), over-long text.
* Configuration is mutable at run time from any thread; the ledger and counters are read from any
  thread. All state lives behind one lock; the event loop holds it for microseconds per request.

Cost: about 20 µs of Python per request; with loop wake-ups and loopback syscalls the server thread
used 120-250 µs of CPU per request on a 2-core machine (PTB's client side: ~1.1-1.3 ms), i.e. 10-16%
of a core at 500-1,000 requests/s. In-process it shares the GIL with the client being measured.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import math
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Final

from tests.fakes.botapi_wire import Upload, parse_params, route

__all__ = [
    "BOT_USER",
    "SEND_METHODS",
    "Counters",
    "Delivery",
    "FakeTelegram",
    "Limits",
    "Rejection",
    "Upload",
]

BOT_USER: Final[dict[str, Any]] = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "EMWP",
    "username": "emwp_fake_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Methods that deliver a message and count against the flood limits (lower case: Telegram's method
# names are case-insensitive).
SEND_METHODS: Final = frozenset({"sendmessage", "senddocument", "sendphoto", "copymessage"})
MAX_TEXT: Final = 4096
MAX_CAPTION: Final = 1024

_REASONS: Final = {
    200: b"OK",
    400: b"Bad Request",
    401: b"Unauthorized",
    403: b"Forbidden",
    404: b"Not Found",
    413: b"Request Entity Too Large",
    429: b"Too Many Requests",
    431: b"Request Header Fields Too Large",
    502: b"Bad Gateway",
}
_MAX_HEAD: Final = 64 * 1024
_HEADERS: Final = re.compile(
    rb"^(content-length|content-type|transfer-encoding|connection)[ \t]*:[ \t]*([^\r\n]*)\r$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's flood limits; `scale` multiplies every rate (compresses time) for faster runs.

    Each limit is a sliding window over the arrival times of delivered sends:

    * overall: at most `overall_per_second` sends in any `1/scale` s;
    * private chat (id > 0): at most `private_burst` sends in any `private_burst/private_per_second/scale`
      s (default: strictly at most one per rolling second);
    * group chat (id < 0): at most `group_per_minute` sends in any `60/scale` s.

    `retry_after` is reported in whole real seconds (at least 1), as Telegram does, whatever `scale`.
    """

    overall_per_second: int = 30
    private_per_second: float = 1.0
    private_burst: int = 1
    group_per_minute: int = 20
    scale: float = 1.0
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.scale <= 0 or self.private_per_second <= 0:
            raise ValueError("scale and private_per_second must be positive")
        if min(self.overall_per_second, self.private_burst, self.group_per_minute) < 1:
            raise ValueError("limits must allow at least one send per window")

    @classmethod
    def none(cls) -> Limits:
        """No flood limits at all (failure injection still applies)."""
        return cls(enabled=False)

    @property
    def overall_window(self) -> float:
        return 1.0 / self.scale

    @property
    def private_window(self) -> float:
        return self.private_burst / self.private_per_second / self.scale

    @property
    def group_window(self) -> float:
        return 60.0 / self.scale


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivered send: what the chat would show, and when the request arrived (monotonic)."""

    method: str
    chat_id: int
    message_id: int
    text: str | None  # text or caption; None for a file or copy without caption
    params: dict[str, Any]
    at: float

    @property
    def content(self) -> str:
        """What identifies the message's content: its text, else the file or copied message."""
        if self.text is not None:
            return self.text
        if self.method == "copymessage":
            return f"<copy {self.params.get('from_chat_id')}/{self.params.get('message_id')}>"
        return f"<{self.method} {self.params.get('document') or self.params.get('photo')}>"


@dataclass(frozen=True, slots=True)
class Rejection:
    """One send answered 429: which limit (`overall`, `private` or `group`), and the retry_after sent."""

    chat_id: int
    limit: str
    retry_after: int
    at: float


@dataclass(frozen=True, slots=True)
class Counters:
    """A snapshot of what the server answered to send methods (plus `requests`: every request)."""

    requests: int = 0
    delivered: int = 0
    rejected_429: int = 0
    forbidden: int = 0
    bad_request: int = 0
    failed_5xx: int = 0
    timed_out: int = 0


@dataclass(slots=True)
class _Counts:
    requests: int = 0
    delivered: int = 0
    rejected_429: int = 0
    forbidden: int = 0
    bad_request: int = 0
    failed_5xx: int = 0
    timed_out: int = 0


@dataclass(slots=True)
class _State:
    counts: _Counts = field(default_factory=_Counts)
    ledger: list[Delivery] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    overall: deque[float] = field(default_factory=deque)
    per_chat: dict[int, deque[float]] = field(default_factory=dict)
    last_message_id: dict[int, int] = field(default_factory=dict)
    methods: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class _Reply:
    """What the connection does with a request: answer `status`/`body` after `delay`, or drop it."""

    status: int
    body: bytes
    delay: float = 0.0
    drop: bool = False


class FakeTelegram:
    """The server. `with FakeTelegram(...) as server:` starts it; `base_url` is for `Bot(base_url=...)`."""

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        blocked: Iterable[int] = (),
        missing: Iterable[int] = (),
        fail_fraction: float = 0.0,
        timeout_fraction: float = 0.0,
        timeout_seconds: float = 1.0,
        timeout_delivers: bool = False,
        seed: int = 0,
        token: str | None = None,
        long_poll_cap: float = 0.2,
        bot_user: dict[str, Any] | None = None,
    ) -> None:
        """Configure (nothing is served until `start()` or `with`).

        `timeout_delivers`: a send picked for a timeout is still delivered (if within limits), only
        the answer is lost, as when a response goes missing on the way back; a retry then duplicates.
        `token`: when given, any other token is answered 401. `long_poll_cap`: the longest getUpdates
        is held before it answers `[]`.
        """
        self._lock = threading.Lock()
        self._limits = limits or Limits()
        self._blocked = frozenset(blocked)
        self._missing = frozenset(missing)
        self._fail_fraction = _fraction(fail_fraction)
        self._timeout_fraction = _fraction(timeout_fraction)
        self._timeout_seconds = float(timeout_seconds)
        self._timeout_delivers = bool(timeout_delivers)
        self._rng = random.Random(seed)
        self.token = token
        self.long_poll_cap = float(long_poll_cap)
        self.bot_user = dict(bot_user or BOT_USER)
        self._state = _State()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[_HttpConnection] = set()
        self._port = 0
        self._stopped = False
        self._cpu_clock: int | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        """Serve on 127.0.0.1 on an ephemeral port; returns when listening. Idempotent."""
        if self._thread is not None:
            return self
        if self._stopped:
            raise RuntimeError("a stopped FakeTelegram cannot be restarted")
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name="fake-telegram", daemon=True
        )
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Telegram server did not start")
        if failure:
            raise RuntimeError("the fake Telegram server did not start") from failure[0]
        return self

    def stop(self) -> None:
        """Stop at once: drop held requests and open connections, close the socket. Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>/bot`: PTB appends the token and `/method`."""
        return f"http://127.0.0.1:{self.port}/bot"

    def url(self, method: str, token: str = "1:fake") -> str:  # noqa: S107
        """The full URL of one method, for raw HTTP clients."""
        return f"{self.base_url}{token}/{method}"

    def cpu_seconds(self) -> float:
        """CPU time the server thread has used so far (Linux; 0.0 where unsupported)."""
        if self._cpu_clock is None:
            return 0.0
        try:
            return time.clock_gettime(self._cpu_clock)
        except OSError:
            return 0.0

    # --- run-time configuration (thread-safe) ------------------------------------------------------

    @property
    def limits(self) -> Limits:
        return self._limits

    @limits.setter
    def limits(self, value: Limits) -> None:
        with self._lock:
            self._limits = value

    def set_scale(self, scale: float) -> None:
        """Change only the `scale` of the current limits."""
        with self._lock:
            self._limits = replace(self._limits, scale=scale)

    @property
    def blocked(self) -> frozenset[int]:
        return self._blocked

    @blocked.setter
    def blocked(self, chat_ids: Iterable[int]) -> None:
        value = frozenset(chat_ids)
        with self._lock:
            self._blocked = value

    @property
    def missing(self) -> frozenset[int]:
        return self._missing

    @missing.setter
    def missing(self, chat_ids: Iterable[int]) -> None:
        value = frozenset(chat_ids)
        with self._lock:
            self._missing = value

    @property
    def fail_fraction(self) -> float:
        return self._fail_fraction

    @fail_fraction.setter
    def fail_fraction(self, value: float) -> None:
        with self._lock:
            self._fail_fraction = _fraction(value)

    @property
    def timeout_fraction(self) -> float:
        return self._timeout_fraction

    @timeout_fraction.setter
    def timeout_fraction(self, value: float) -> None:
        with self._lock:
            self._timeout_fraction = _fraction(value)

    @property
    def timeout_seconds(self) -> float:
        return self._timeout_seconds

    @timeout_seconds.setter
    def timeout_seconds(self, value: float) -> None:
        with self._lock:
            self._timeout_seconds = float(value)

    @property
    def timeout_delivers(self) -> bool:
        return self._timeout_delivers

    @timeout_delivers.setter
    def timeout_delivers(self, value: bool) -> None:
        with self._lock:
            self._timeout_delivers = bool(value)

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._rng.seed(seed)

    # --- the ledger (thread-safe snapshots) --------------------------------------------------------

    @property
    def counters(self) -> Counters:
        with self._lock:
            c = self._state.counts
            return Counters(
                requests=c.requests,
                delivered=c.delivered,
                rejected_429=c.rejected_429,
                forbidden=c.forbidden,
                bad_request=c.bad_request,
                failed_5xx=c.failed_5xx,
                timed_out=c.timed_out,
            )

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivered send, in order of arrival."""
        with self._lock:
            return list(self._state.ledger)

    @property
    def rejections(self) -> list[Rejection]:
        """Every send answered 429, in order of arrival."""
        with self._lock:
            return list(self._state.rejections)

    @property
    def method_calls(self) -> Counter[str]:
        """How many requests each method (lower case) received, whatever the answer."""
        with self._lock:
            return Counter(self._state.methods)

    def delivered_to(self, chat_id: int) -> list[Delivery]:
        with self._lock:
            return [d for d in self._state.ledger if d.chat_id == chat_id]

    def duplicates(self) -> dict[tuple[int, str], int]:
        """(chat id, content) delivered more than once, with how many times."""
        seen = Counter((d.chat_id, d.content) for d in self.deliveries)
        return {key: n for key, n in seen.items() if n > 1}

    def max_rate_in_window(self, seconds: float, chat_id: int | None = None) -> int:
        """The most deliveries (to `chat_id`, or overall) that arrived within any `seconds`-long window.

        Windows are half-open, as the server's: two sends exactly `seconds` apart are in different
        windows. To check a limit held, compare with its count at the window the server used, e.g.
        `max_rate_in_window(limits.overall_window) <= limits.overall_per_second`.
        """
        times = [d.at for d in self.deliveries if chat_id is None or d.chat_id == chat_id]
        best = 0
        start = 0
        for end, t in enumerate(times):
            while times[start] <= t - seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

    def rate_between(self, start: float, end: float) -> int:
        """How many deliveries arrived in [start, end) (monotonic times)."""
        times = [d.at for d in self.deliveries]
        return bisect.bisect_left(times, end) - bisect.bisect_left(times, start)

    def reset(self) -> None:
        """Forget the ledger, counters, message ids and limit windows (the configuration stays)."""
        with self._lock:
            self._state = _State()

    # --- serving (the server thread) ---------------------------------------------------------------

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        with contextlib.suppress(AttributeError, OSError):
            self._cpu_clock = time.pthread_getcpuclockid(threading.get_ident())
        try:
            asyncio.set_event_loop(loop)
            self._server = loop.run_until_complete(
                loop.create_server(lambda: _HttpConnection(self), "127.0.0.1", 0, backlog=1024)
            )
            self._port = int(self._server.sockets[0].getsockname()[1])
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            for connection in list(self._connections):
                connection.abort()
            loop.run_until_complete(asyncio.sleep(0))  # let the transports finish closing
            loop.close()

    def _handle(self, target: bytes, content_type: bytes, body: bytes) -> _Reply:
        """Answer one request; synchronous, so the common path never yields to the loop."""
        now = time.monotonic()
        path, _, query = target.decode("latin-1").partition("?")
        found = route(path)
        if found is None:
            return _Reply(404, _error(404, "Not Found"))
        token, method = found[0], found[1].lower()
        try:
            params = parse_params(query, content_type.decode("latin-1"), body)
        except (ValueError, UnicodeDecodeError) as exc:
            return _Reply(400, _error(400, f"Bad Request: {exc}"))
        with self._lock:
            self._state.counts.requests += 1
            self._state.methods[method] += 1
            if self.token is not None and token != self.token:
                return _Reply(401, _error(401, "Unauthorized"))
            if method in SEND_METHODS:
                return self._send(method, params, now)
            return self._other(method, params)

    def _other(self, method: str, params: dict[str, Any]) -> _Reply:
        if method == "getme":
            return _ok(self.bot_user)
        if method in ("deletewebhook", "setmycommands", "deletemycommands", "answercallbackquery"):
            return _ok(True)
        if method in ("sendchataction", "close", "logout", "setwebhook"):
            return _ok(True)
        if method == "getupdates":
            timeout = params.get("timeout")
            wait = float(timeout) if isinstance(timeout, int | float) else 0.0
            return _Reply(200, _OK_EMPTY_LIST, delay=max(0.0, min(wait, self.long_poll_cap)))
        if method == "editmessagetext":
            return self._edit(params)
        return _Reply(404, _error(404, "Not Found"))

    def _edit(self, params: dict[str, Any]) -> _Reply:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or chat_id in self._missing:
            self._state.counts.bad_request += 1
            return _Reply(400, _error(400, "Bad Request: chat not found"))
        if chat_id in self._blocked:
            self._state.counts.forbidden += 1
            return _Reply(403, _error(403, "Forbidden: bot was blocked by the user"))
        message_id = params.get("message_id")
        last_id = self._state.last_message_id.get(chat_id, 0)
        if not isinstance(message_id, int) or not 0 < message_id <= last_id:
            self._state.counts.bad_request += 1
            return _Reply(400, _error(400, "Bad Request: message to edit not found"))
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            self._state.counts.bad_request += 1
            return _Reply(400, _error(400, "Bad Request: message text is empty"))
        if len(text) > MAX_TEXT:
            self._state.counts.bad_request += 1
            return _Reply(400, _error(400, "Bad Request: message is too long"))
        message = self._message(chat_id, message_id, int(time.time()))
        message["text"] = text
        message["edit_date"] = message["date"]
        return _ok(message)

    def _send(self, method: str, params: dict[str, Any], now: float) -> _Reply:
        counts = self._state.counts
        # Injected failures first: the request never properly reached Telegram.
        if self._fail_fraction and self._rng.random() < self._fail_fraction:
            counts.failed_5xx += 1
            return _Reply(502, _BAD_GATEWAY)
        timed_out = bool(self._timeout_fraction) and self._rng.random() < self._timeout_fraction
        if timed_out:
            counts.timed_out += 1
            if not self._timeout_delivers:
                return _Reply(0, b"", delay=self._timeout_seconds, drop=True)
        reply = self._deliver(method, params, now)
        if timed_out:
            return _Reply(0, b"", delay=self._timeout_seconds, drop=True)
        return reply

    def _deliver(self, method: str, params: dict[str, Any], now: float) -> _Reply:
        counts = self._state.counts
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            counts.bad_request += 1
            return _Reply(400, _error(400, "Bad Request: chat_id is empty"))
        if not isinstance(chat_id, int) or chat_id in self._missing:
            counts.bad_request += 1
            return _Reply(400, _error(400, "Bad Request: chat not found"))
        if chat_id in self._blocked:
            counts.forbidden += 1
            return _Reply(403, _error(403, "Forbidden: bot was blocked by the user"))
        invalid = _validate(method, params)
        if invalid is not None:
            counts.bad_request += 1
            return _Reply(400, _error(400, invalid))

        limits = self._limits
        if limits.enabled:
            rejected = self._check_limits(limits, chat_id, now)
            if rejected is not None:
                counts.rejected_429 += 1
                return rejected

        message_id = self._state.last_message_id.get(chat_id, 0) + 1
        self._state.last_message_id[chat_id] = message_id
        text = params.get("text") if method == "sendmessage" else params.get("caption")
        text = text if isinstance(text, str) else None
        self._state.ledger.append(Delivery(method, chat_id, message_id, text, params, now))
        counts.delivered += 1
        if method == "copymessage":
            return _ok({"message_id": message_id})
        return _ok(self._result(method, chat_id, message_id, params, text))

    def _check_limits(self, limits: Limits, chat_id: int, now: float) -> _Reply | None:
        """Admit a send (recording its time in every window) or answer 429 for the tightest limit."""
        overall = self._state.overall
        window = limits.overall_window
        while overall and overall[0] <= now - window:
            overall.popleft()
        wait = 0.0
        limit = ""
        if len(overall) >= limits.overall_per_second:
            wait, limit = overall[-limits.overall_per_second] + window - now, "overall"

        chat_window, chat_count = (
            (limits.private_window, limits.private_burst)
            if chat_id > 0
            else (limits.group_window, limits.group_per_minute)
        )
        chat = self._state.per_chat.get(chat_id)
        if chat is None:
            chat = self._state.per_chat[chat_id] = deque()
        while chat and chat[0] <= now - chat_window:
            chat.popleft()
        if len(chat) >= chat_count:
            chat_wait = chat[-chat_count] + chat_window - now
            if chat_wait > wait:
                wait, limit = chat_wait, "private" if chat_id > 0 else "group"

        if limit:
            retry_after = max(1, math.ceil(wait))
            self._state.rejections.append(Rejection(chat_id, limit, retry_after, now))
            return _Reply(
                429,
                _dumps(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {retry_after}",
                        "parameters": {"retry_after": retry_after},
                    }
                ),
            )
        overall.append(now)
        chat.append(now)
        return None

    def _message(self, chat_id: int, message_id: int, date: int) -> dict[str, Any]:
        if chat_id > 0:
            chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        else:
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            chat = {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}
        return {"message_id": message_id, "from": self.bot_user, "chat": chat, "date": date}

    def _result(
        self, method: str, chat_id: int, message_id: int, params: dict[str, Any], text: str | None
    ) -> dict[str, Any]:
        message = self._message(chat_id, message_id, int(time.time()))
        file_key = f"{chat_id}_{message_id}"
        if method == "sendmessage":
            message["text"] = text
            if "entities" in params:
                message["entities"] = params["entities"]
        elif method == "senddocument":
            document = params.get("document")
            upload = document if isinstance(document, Upload) else Upload("document", "application/pdf", 0)
            message["document"] = {
                "file_id": document if isinstance(document, str) else f"BQACAgDoc{file_key}",
                "file_unique_id": f"AgADoc{file_key}",
                "file_name": upload.filename,
                "mime_type": upload.content_type,
                "file_size": upload.size,
            }
        elif method == "sendphoto":
            photo = params.get("photo")
            size = photo.size if isinstance(photo, Upload) else 0
            file_id = photo if isinstance(photo, str) else f"AgACAgPhoto{file_key}"
            message["photo"] = [
                {"file_id": f"{file_id}_s", "file_unique_id": f"AQADs{file_key}", "width": 90, "height": 90,
                 "file_size": min(size, 1500)},
                {"file_id": file_id, "file_unique_id": f"AQADm{file_key}", "width": 800, "height": 800,
                 "file_size": size},
            ]  # fmt: skip
        if text is not None and method != "sendmessage":
            message["caption"] = text
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message


# --- wire format -----------------------------------------------------------------------------------


def _fraction(value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"a fraction must be within 0..1, not {value}")
    return value


def _dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _error(code: int, description: str) -> bytes:
    return _dumps({"ok": False, "error_code": code, "description": description})


def _ok(result: Any) -> _Reply:
    return _Reply(200, _dumps({"ok": True, "result": result}))


_RESPONSE: Final = (
    b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: %s\r\n\r\n%s"
)
_OK_EMPTY_LIST: Final = _dumps({"ok": True, "result": []})
_BAD_GATEWAY: Final = _error(502, "Bad Gateway")


def _response(status: int, body: bytes, keep_alive: bool) -> bytes:
    reason = _REASONS.get(status, b"Error")
    connection = b"keep-alive" if keep_alive else b"close"
    return _RESPONSE % (status, reason, len(body), connection, body)


def _parse_chunked(buffer: bytearray, start: int) -> tuple[bytes, int] | None:
    """A chunked body starting at `start`: (body, offset after it), or None if not all here yet."""
    chunks: list[bytes] = []
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";", 1)[0].strip() or b"0", 16)
        position = line_end + 2
        if size == 0:
            while True:  # trailers, up to the empty line
                line_end = buffer.find(b"\r\n", position)
                if line_end < 0:
                    return None
                if line_end == position:
                    return b"".join(chunks), line_end + 2
                position = line_end + 2
        if len(buffer) < position + size + 2:
            return None
        chunks.append(bytes(buffer[position : position + size]))
        position += size + 2


def _validate(method: str, params: dict[str, Any]) -> str | None:
    """Telegram's description of what is wrong with a send's content, or None."""
    if method == "sendmessage":
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            return "Bad Request: message text is empty"
        if len(text) > MAX_TEXT:
            return "Bad Request: message is too long"
        return None
    caption = params.get("caption")
    if isinstance(caption, str) and len(caption) > MAX_CAPTION:
        return "Bad Request: message caption is too long"
    if method == "senddocument" and not params.get("document"):
        return "Bad Request: there is no document in the request"
    if method == "sendphoto" and not params.get("photo"):
        return "Bad Request: there is no photo in the request"
    if method == "copymessage" and not (
        isinstance(params.get("from_chat_id"), int) and isinstance(params.get("message_id"), int)
    ):
        return "Bad Request: message to copy not found"
    return None


class _HttpConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: parses requests from the byte stream, answers in order.

    A Protocol rather than asyncio streams: no task or future per request, and the common path
    (parse, decide, answer) runs synchronously in `data_received`. A request answered after a delay
    (a held long poll, an injected timeout) stops the parsing of any pipelined request behind it
    until it is answered or dropped.
    """

    def __init__(self, server: FakeTelegram) -> None:
        self._server = server
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._held: asyncio.TimerHandle | None = None
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._server._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if self._held is not None:
            self._held.cancel()
            self._held = None
        self._server._connections.discard(self)

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._held is None:
            self._process()

    def _process(self) -> None:
        buffer = self._buffer
        while buffer and self._held is None and not self._closed:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > _MAX_HEAD:
                    self._finish(
                        _Reply(431, _error(431, "Request Header Fields Too Large")), keep_alive=False
                    )
                return
            request_line, _, header_block = bytes(buffer[: end + 2]).partition(b"\r\n")
            try:
                _verb, target, version = request_line.split(b" ", 2)
                # Only the headers that matter, found in one pass of a compiled pattern.
                headers = {name.lower(): value.rstrip() for name, value in _HEADERS.findall(header_block)}
                if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
                    parsed = _parse_chunked(buffer, end + 4)
                    if parsed is None:
                        return  # wait for the rest of the body
                    body, consumed = parsed
                else:
                    length = int(headers.get(b"content-length") or 0)
                    consumed = end + 4 + length
                    if len(buffer) < consumed:
                        return  # wait for the rest of the body
                    body = bytes(buffer[end + 4 : consumed])
            except ValueError:
                self._finish(_Reply(400, _error(400, "Bad Request")), keep_alive=False)
                return
            del buffer[:consumed]
            connection = headers.get(b"connection", b"").lower()
            keep_alive = connection != b"close" if version == b"HTTP/1.1" else connection == b"keep-alive"

            reply = self._server._handle(target, headers.get(b"content-type", b""), body)
            if reply.delay > 0:
                loop = asyncio.get_running_loop()
                self._held = loop.call_later(reply.delay, self._release, reply, keep_alive)
                return
            self._finish(reply, keep_alive)

    def _release(self, reply: _Reply, keep_alive: bool) -> None:
        self._held = None
        self._finish(reply, keep_alive)
        self._process()

    def _finish(self, reply: _Reply, keep_alive: bool) -> None:
        transport = self._transport
        if transport is None or self._closed:
            return
        if reply.drop:
            # Closed without an answer: the client's read timeout has fired by now.
            self._closed = True
            transport.abort()
            return
        transport.write(_response(reply.status, reply.body, keep_alive))
        if not keep_alive:
            self._closed = True
            transport.close()  # after the buffered answer is written
