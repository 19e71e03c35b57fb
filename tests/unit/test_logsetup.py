"""Secrets never reach a log line, in the message or in a traceback."""

from __future__ import annotations

import io
import json
import logging

from bot.logsetup import REDACTED, RedactSecrets, json_formatter

TOKEN = "123456:AAE-secret-token"


def test_token_is_redacted_from_messages_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets([TOKEN]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise ValueError(f"bad url /bot{TOKEN}/getUpdates")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert TOKEN not in output
    assert output.count(REDACTED) == 2
    assert "ValueError" in output


def test_json_lines_carry_the_fields_and_never_a_token_or_invitation() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets([TOKEN]))
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("test.json")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    logger.propagate = False
    invitation = "Qk9xZ3ZrR2x0c0RkV1VQbHhBcG1fY2F0LWRvZ3M"
    try:
        logger.info("got /start %s", invitation, extra={"update_id": 7, "outcome": "ok"})
        logger.warning("link https://t.me/emwp_bot?start=%s for %s", invitation, TOKEN)
        try:
            raise ValueError(f"/start@emwp_bot {invitation} via /bot{TOKEN}/sendMessage")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["level"] for line in lines] == ["INFO", "WARNING", "ERROR"]
    assert lines[0]["update_id"] == 7 and lines[0]["outcome"] == "ok" and lines[0]["logger"] == "test.json"
    assert "ValueError" in lines[2]["exc_info"]
    output = stream.getvalue()
    assert invitation not in output and TOKEN not in output
    assert output.count(REDACTED) == 5
