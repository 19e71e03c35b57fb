"""`emwp-bot run` end to end: the real process and polling loop over loopback HTTP, on a fake Bot API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.fake_server import VALID_TOKEN, FakeBotApi

pytestmark = pytest.mark.e2e

# Every setting the bot reads (pydantic-settings matches names case-insensitively): none leaks in.
SETTING_NAMES = frozenset(
    {
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE_URL",
        "TELEGRAM_API_FILE_URL",
        "DATABASE_URL",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "TZ",
        "LOG_LEVEL",
        "EMWP_DATA_DIR",
    }
)
STARTUP_TIMEOUT = 45.0  # first reply: interpreter start, migrations and seeding of a fresh database
REPLY_TIMEOUT = 15.0
EXIT_TIMEOUT = 20.0
CHAT_ID = 42


@dataclass
class BotProcess:
    """One `emwp-bot run` subprocess; its output goes to files so a full pipe can never block it."""

    proc: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def wait_exit(self, timeout: float = EXIT_TIMEOUT) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the bot did not exit within {timeout:.0f} s; stderr:\n{self.stderr}")

    def output(self) -> str:
        return f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"


Launcher = Callable[..., BotProcess]


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as api:
        yield api


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launcher]:
    """Start `python -m bot run` in tmp_path (no stray .env) with only the settings given."""
    started: list[BotProcess] = []

    def start(**settings: str) -> BotProcess:
        env = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES}
        env.update(
            DATABASE_URL=f"sqlite:///{tmp_path}/bot.sqlite3",
            EMWP_DATA_DIR=str(tmp_path / "data"),
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.update(settings)
        index = len(started)
        out, err = tmp_path / f"bot{index}.stdout", tmp_path / f"bot{index}.stderr"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=tmp_path,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
        bot = BotProcess(proc, out, err)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        if bot.proc.poll() is None:
            bot.proc.kill()
            bot.proc.wait(10)


def private_message(text: str, *, chat_id: int = CHAT_ID) -> dict[str, Any]:
    """A message update from a user in a private chat (update_id is assigned by the server)."""
    message: dict[str, Any] = {
        "message_id": int(time.time() * 1000) % 1_000_000,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": "Ana"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Ana", "language_code": "en"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": message}


def wait_for_replies(api: FakeBotApi, bot: BotProcess, count: int, timeout: float) -> list[dict[str, Any]]:
    """The first `count` messages sent to the chat; fails early, with the bot's output, if it dies."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        messages = api.wait_for_messages(CHAT_ID, count, timeout=max(0.0, min(0.5, remaining)))
        if len(messages) >= count:
            return messages
        if bot.proc.poll() is not None:
            pytest.fail(f"the bot exited with {bot.proc.returncode} before replying\n{bot.output()}")
        if remaining <= 0:
            pytest.fail(f"{len(messages)} of {count} replies within {timeout:.0f} s\n{bot.output()}")


def test_guest_conversation_then_graceful_sigterm(fake_api: FakeBotApi, launch: Launcher) -> None:
    bot = launch(TELEGRAM_BOT_TOKEN=VALID_TOKEN, TELEGRAM_API_BASE_URL=fake_api.base_url)

    fake_api.push_update(private_message("/start"))
    start = wait_for_replies(fake_api, bot, 1, STARTUP_TIMEOUT)[0]
    assert "This bot is closed" in start["text"]

    fake_api.push_update(private_message("/help"))
    help_text = wait_for_replies(fake_api, bot, 2, REPLY_TIMEOUT)[1]["text"]
    assert "/start" in help_text
    assert "/help" in help_text

    fake_api.push_update(private_message("hello there"))
    free_text = wait_for_replies(fake_api, bot, 3, REPLY_TIMEOUT)[2]["text"]
    assert "/start explains how to get access" in free_text

    sends = fake_api.calls_of("sendMessage")
    assert all(c.params["chat_id"] == CHAT_ID and c.params["parse_mode"] == "HTML" for c in sends)
    menus = fake_api.calls_of("setMyCommands")
    default_menus = [c for c in menus if c.params.get("scope") == {"type": "default"}]
    assert default_menus, f"no default command menu set; calls: {[c.method for c in fake_api.calls]}"
    assert {"start", "help"} <= {command["command"] for command in default_menus[0].params["commands"]}
    assert fake_api.calls_of("getMe")[0].status == 200

    bot.proc.send_signal(signal.SIGTERM)
    code = bot.wait_exit(EXIT_TIMEOUT)

    assert code == 0, bot.output()
    assert "Traceback" not in bot.stderr, bot.stderr
    # Each update was answered once: the bot's offsets confirmed what it had handled.
    assert len(fake_api.messages_to(CHAT_ID)) == 3


REJECTED_TOKEN = "654321:WRONG-token"
# The runner asks getMe before PTB's bootstrap loop, whose own failure log carries a traceback and the token.


def test_rejected_token_exits_3(fake_api: FakeBotApi, launch: Launcher) -> None:
    bot = launch(TELEGRAM_BOT_TOKEN=REJECTED_TOKEN, TELEGRAM_API_BASE_URL=fake_api.base_url)

    code = bot.wait_exit(STARTUP_TIMEOUT)

    assert code == 3, bot.output()
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in bot.stderr
    assert fake_api.calls, "the bot never reached the server"
    assert all(c.status == 401 for c in fake_api.calls)


def test_rejected_token_stderr_has_no_traceback_nor_token(fake_api: FakeBotApi, launch: Launcher) -> None:
    bot = launch(TELEGRAM_BOT_TOKEN=REJECTED_TOKEN, TELEGRAM_API_BASE_URL=fake_api.base_url)

    assert bot.wait_exit(STARTUP_TIMEOUT) == 3, bot.output()

    assert "Traceback" not in bot.stderr, bot.stderr
    assert "WRONG-token" not in bot.stderr, "the token is a secret: never echo it"


def unreachable_base_url() -> str:
    """A loopback URL nothing listens on: a fake server's, once stopped."""
    with FakeBotApi() as api:
        return api.base_url


def test_unreachable_api_exits_4_not_as_a_rejected_token(launch: Launcher) -> None:
    url = unreachable_base_url()
    bot = launch(TELEGRAM_BOT_TOKEN=VALID_TOKEN, TELEGRAM_API_BASE_URL=url)

    code = bot.wait_exit(STARTUP_TIMEOUT)

    assert code == 4, bot.output()
    assert f"Cannot reach the Bot API at {url}" in bot.stderr


def test_unreachable_api_stderr_has_no_traceback(launch: Launcher) -> None:
    bot = launch(TELEGRAM_BOT_TOKEN=VALID_TOKEN, TELEGRAM_API_BASE_URL=unreachable_base_url())

    assert bot.wait_exit(STARTUP_TIMEOUT) == 4, bot.output()

    assert "Traceback" not in bot.stderr, bot.stderr


@pytest.mark.parametrize("token", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_missing_token_exits_2(fake_api: FakeBotApi, launch: Launcher, token: str | None) -> None:
    settings = {"TELEGRAM_API_BASE_URL": fake_api.base_url}
    if token is not None:
        settings["TELEGRAM_BOT_TOKEN"] = token
    bot = launch(**settings)

    code = bot.wait_exit(STARTUP_TIMEOUT)

    assert code == 2, bot.output()
    assert "TELEGRAM_BOT_TOKEN" in bot.stderr
    assert "Traceback" not in bot.stderr, bot.stderr
    assert fake_api.calls == []


@pytest.mark.parametrize("token", ["abc", "123456", ":abc", "123:abc def"])
def test_malformed_token_exits_2_before_asking_telegram(
    fake_api: FakeBotApi, launch: Launcher, token: str
) -> None:
    bot = launch(TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL=fake_api.base_url)

    code = bot.wait_exit(STARTUP_TIMEOUT)

    assert code == 2, bot.output()
    assert "TELEGRAM_BOT_TOKEN: expected the token @BotFather gave you" in bot.stderr
    assert "Traceback" not in bot.stderr, bot.stderr
    assert fake_api.calls == []


def test_malformed_setting_exits_2(fake_api: FakeBotApi, launch: Launcher) -> None:
    bot = launch(TELEGRAM_BOT_TOKEN=VALID_TOKEN, TELEGRAM_API_BASE_URL=fake_api.base_url, TZ="Mars/Olympus")

    code = bot.wait_exit(STARTUP_TIMEOUT)

    assert code == 2, bot.output()
    assert "TZ: expected an IANA time zone name" in bot.stderr
    assert "Traceback" not in bot.stderr, bot.stderr
    assert fake_api.calls == []


def test_a_webhook_url_without_its_secret_is_refused_with_exit_2(
    fake_api: FakeBotApi, launch: Launcher
) -> None:
    """Webhook mode requires WEBHOOK_SECRET: refused before Telegram is asked."""
    bot = launch(
        TELEGRAM_BOT_TOKEN=REJECTED_TOKEN,
        TELEGRAM_API_BASE_URL=fake_api.base_url,
        WEBHOOK_URL="https://emwp.example.org/hook",
    )

    assert bot.wait_exit(STARTUP_TIMEOUT) == 2, bot.output()
    assert "WEBHOOK_URL is set but WEBHOOK_SECRET is not" in bot.stderr
    assert not fake_api.calls
