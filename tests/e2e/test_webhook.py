"""`emwp-bot run` in webhook mode end to end: the real process sets its webhook with the secret and the
update kinds it handles, answers Telegram's POSTs over loopback HTTP, refuses a wrong secret, and stops
cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import time

import httpx
import pytest

from tests.e2e.fake_server import VALID_TOKEN, FakeBotApi
from tests.e2e.test_polling import (
    REPLY_TIMEOUT,
    STARTUP_TIMEOUT,
    BotProcess,
    Launcher,
    private_message,
    wait_for_replies,
)

pytestmark = pytest.mark.e2e
SECRET = "e2e-webhook-secret_0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_bot(fake_api: FakeBotApi, launch: Launcher, **extra: str) -> tuple[BotProcess, str]:
    """A bot process in webhook mode on a free loopback port; its webhook's local URL."""
    port = free_port()
    hooks = len(fake_api.calls_of("setWebhook"))
    bot = launch(
        TELEGRAM_BOT_TOKEN=VALID_TOKEN,
        TELEGRAM_API_BASE_URL=fake_api.base_url,
        WEBHOOK_URL="https://emwp.example.org/tg/hook",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        **extra,
    )
    assert len(fake_api.wait_for_call("setWebhook", STARTUP_TIMEOUT, count=hooks + 1)) > hooks, bot.output()
    return bot, f"http://127.0.0.1:{port}/tg/hook"


def post(url: str, update_id: int, text: str, secret: str | None = SECRET) -> int:
    update = {"update_id": update_id, **private_message(text)}
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return httpx.post(url, content=json.dumps(update), headers=headers, timeout=REPLY_TIMEOUT).status_code


def test_webhook_process_serves_updates_and_refuses_wrong_secrets(
    fake_api: FakeBotApi, launch: Launcher
) -> None:
    bot, url = webhook_bot(fake_api, launch)
    hook = fake_api.calls_of("setWebhook")[0].params
    assert hook["url"] == "https://emwp.example.org/tg/hook"
    assert hook["secret_token"] == SECRET
    assert hook["allowed_updates"] == ["callback_query", "message", "my_chat_member"]

    assert post(url, 1, "/start", secret=None) == 403
    assert post(url, 2, "/start", secret="not-the-secret-at-all") == 403
    assert fake_api.messages_to(42) == []
    assert post(url, 3, "/start") == 200
    # Acknowledged once handled: the reply went out before the 200.
    assert "This bot is closed" in fake_api.messages_to(42)[0]["text"]
    assert post(url, 4, "/help") == 200
    assert len(wait_for_replies(fake_api, bot, 2, REPLY_TIMEOUT)) == 2

    bot.proc.send_signal(signal.SIGTERM)
    assert bot.wait_exit() == 0, bot.output()
    assert "Traceback" not in bot.stderr, bot.stderr
    assert SECRET not in bot.stderr and VALID_TOKEN not in bot.stderr
    assert "chat 42 /help ok" in bot.stderr


def test_operations_port_beside_polling_and_json_logs(fake_api: FakeBotApi, launch: Launcher) -> None:
    port = free_port()
    bot = launch(
        TELEGRAM_BOT_TOKEN=VALID_TOKEN,
        TELEGRAM_API_BASE_URL=fake_api.base_url,
        OPS_PORT=str(port),
        LOG_FORMAT="json",
    )
    fake_api.push_update(private_message("/start"))
    wait_for_replies(fake_api, bot, 1, STARTUP_TIMEOUT)
    deadline = time.monotonic() + REPLY_TIMEOUT
    while True:
        try:
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    assert ready.status_code == 200, ready.text
    assert 'emwp_updates_total{action="/start",outcome="ok"} 1.0' in metrics.text
    bot.proc.send_signal(signal.SIGTERM)
    assert bot.wait_exit() == 0, bot.output()
    lines = [json.loads(line) for line in bot.stderr.splitlines() if line.strip()]
    assert any(line.get("action") == "/start" and line.get("chat_id") == 42 for line in lines)
