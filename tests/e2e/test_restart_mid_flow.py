"""A guided flow survives `kill -9`: the process is killed between two steps of a guest's access request,
started again on the same store, and the next answer continues at the step the guest was on, with the
answers given before the kill. On PostgreSQL, two webhook processes take turns at one guest's flow."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.e2e.fake_server import VALID_TOKEN, FakeBotApi
from tests.e2e.test_polling import CHAT_ID, REPLY_TIMEOUT, STARTUP_TIMEOUT, Launcher, private_message
from tests.e2e.test_webhook import SECRET, webhook_bot

pytestmark = pytest.mark.e2e


def press(api: FakeBotApi, data: str) -> dict[str, Any]:
    """A button press in the guest's chat, on the last message the bot sent there."""
    user = {"id": CHAT_ID, "is_bot": False, "first_name": "Ana", "language_code": "en"}
    message = api.messages_to(CHAT_ID)[-1]
    return {
        "callback_query": {
            "id": str(time.time_ns()),
            "from": user,
            "chat_instance": "1",
            "data": data,
            "message": message,
        }
    }


def said(api: FakeBotApi, text: str, timeout: float) -> None:
    """Wait until the bot sent or edited a message to the chat containing `text`."""
    found = api.wait_for(
        lambda calls: [
            c
            for c in calls
            if c.method in ("sendMessage", "editMessageText") and text in str(c.params.get("text", ""))
        ],
        1,
        timeout,
    )
    assert found, (
        f"the bot did not say {text!r}: {[c.params.get('text') for c in api.calls if 'text' in c.params]}"
    )


def confirmed(api: FakeBotApi, update_id: int) -> None:
    """Wait until the bot confirmed (by its next getUpdates offset) every update up to `update_id`."""
    assert api.wait_for(
        lambda calls: [
            c for c in calls if c.method == "getUpdates" and int(c.params.get("offset") or 0) > update_id
        ],
        1,
        REPLY_TIMEOUT,
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_flow_continues_at_its_step_after_kill_9(
    fake_api: FakeBotApi, launch: Launcher, backend: str, request: pytest.FixtureRequest
) -> None:
    settings = {"TELEGRAM_BOT_TOKEN": VALID_TOKEN, "TELEGRAM_API_BASE_URL": fake_api.base_url}
    if backend == "postgresql":
        settings["DATABASE_URL"] = request.getfixturevalue("pg_database")
    bot = launch(**settings)
    fake_api.push_update(private_message("/start"))
    said(fake_api, "This bot is closed", STARTUP_TIMEOUT)
    fake_api.push_update(press(fake_api, "req:start"))
    said(fake_api, "Before you go on", REPLY_TIMEOUT)
    fake_api.push_update(press(fake_api, "req:agree"))
    said(fake_api, "What is your full name", REPLY_TIMEOUT)
    name = fake_api.push_update(private_message("Ana Lopes"))
    said(fake_api, "Which delegation do you belong to?", REPLY_TIMEOUT)
    confirmed(fake_api, name)

    bot.proc.kill()  # kill -9 between two steps
    bot.proc.wait(10)
    again = launch(**settings)
    fake_api.push_update(press(fake_api, "req:del:FR"))
    said(fake_api, "Delegation FR. Add a short note", STARTUP_TIMEOUT)  # the step it was on
    fake_api.push_update(private_message("Desk officer, Paris"))
    said(fake_api, "Your request has been sent", REPLY_TIMEOUT)
    assert again.proc.poll() is None, again.output()
    assert "Traceback" not in bot.stderr + again.stderr, bot.output() + again.output()
    assert "Ana Lopes" not in again.stderr  # the answer was kept, and never logged


def test_two_processes_on_postgresql_each_take_part_of_one_flow(
    fake_api: FakeBotApi, launch: Launcher, pg_database: str
) -> None:
    shared = {"DATABASE_URL": pg_database, "FLOWS_ACROSS_PROCESSES": "true"}
    first, first_url = webhook_bot(fake_api, launch, **shared)
    second, second_url = webhook_bot(fake_api, launch, **shared)
    steps = [
        (first_url, private_message("/start"), "This bot is closed"),
        (second_url, None, "Before you go on"),  # req:start, pressed on the last message
        (first_url, "req:agree", "What is your full name"),
        (second_url, private_message("Ana Lopes"), "Which delegation do you belong to?"),
        (first_url, "req:del:FR", "Delegation FR. Add a short note"),
        (second_url, private_message("Desk officer, Paris"), "Your request has been sent"),
    ]
    for number, (url, update, reply) in enumerate(steps, start=1):
        if update is None:
            update = press(fake_api, "req:start")
        elif isinstance(update, str):
            update = press(fake_api, update)
        answer = httpx.post(
            url,
            content=json.dumps({"update_id": number, **update}),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            timeout=REPLY_TIMEOUT,
        )
        assert answer.status_code == 200
        said(fake_api, reply, REPLY_TIMEOUT)  # answered once handled: the reply is there
    assert "Traceback" not in first.stderr + second.stderr, first.output() + second.output()
