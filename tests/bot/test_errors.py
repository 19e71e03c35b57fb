"""A failing handler: the user gets a short apology, never a traceback; the failure is logged."""

from __future__ import annotations

import logging

import pytest
from telegram import Update
from telegram.ext import CommandHandler

from bot.console.updates import Identity
from handlers.context import BotContext
from tests.harness import BotHarness


async def explode(update: Update, context: BotContext) -> None:
    """A stand-in for any handler that hits an unexpected failure."""
    raise RuntimeError("secret internal detail")


async def test_handler_failure_gets_a_generic_reply_and_is_logged(
    bot: BotHarness, people: dict[str, Identity], caplog: pytest.LogCaptureFixture
) -> None:
    bot.app.handlers[0].insert(0, CommandHandler("explode", explode))  # ahead of the fallbacks
    with caplog.at_level(logging.ERROR):
        calls = await bot.send(people["contact"], "/explode")
    [text] = bot.texts(calls)
    assert "something went wrong" in text
    assert "secret internal detail" not in text and "Traceback" not in text
    assert any("handler failed" in r.message and r.exc_info for r in caplog.records)
    assert [type(e) for e in bot.errors] == [RuntimeError]
    bot.errors.clear()
