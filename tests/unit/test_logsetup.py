"""Secrets never reach a log line, in the message or in a traceback."""

from __future__ import annotations

import io
import logging

from bot.logsetup import REDACTED, RedactSecrets

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
