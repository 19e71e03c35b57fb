"""One log line per update, through the real application: its id, chat, command or button, outcome and
duration, as JSON fields; an invitation token sent with /start never appears."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.console.updates import Identity
from bot.logsetup import RedactSecrets, json_formatter
from tests.harness import TEST_TOKEN, BotHarness

GUEST = Identity(user_id=5553, first_name="Cy")
INVITATION = "dGhpcy1pcy1ub3QtYS1yZWFsLXRva2VuLWJ1dC1sb25n"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets([TEST_TOKEN]))
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)  # setLevel, not assignment: it clears the loggers' cached verdicts
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_each_update_is_one_json_line_without_its_arguments(
    bot: BotHarness, json_log: io.StringIO
) -> None:
    await bot.send(GUEST, f"/start {INVITATION}")
    await bot.send(GUEST, "/nosuchcommand with words")
    await bot.send(GUEST, "some text I typed")

    output = json_log.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    updates = [line for line in lines if line["logger"] == "emwp.updates"]
    assert [(u["action"], u["outcome"], u["chat_id"]) for u in updates] == [
        ("/start", "ok", GUEST.user_id),
        ("/other", "ok", GUEST.user_id),
        ("text", "ok", GUEST.user_id),
    ]
    assert all(isinstance(u["update_id"], int) and u["duration_ms"] >= 0 for u in updates)
    assert INVITATION not in output
    assert "some text I typed" not in output
    assert TEST_TOKEN not in output
