"""A failing handler: the user gets a short apology, never a traceback; the failure is logged."""

from __future__ import annotations

import logging

import pytest
from telegram import Update
from telegram.ext import CommandHandler

from bot.console.updates import Identity
from handlers.context import BotContext
from tests.bot.flows import alerts, buttons, last_with_buttons, tap
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


async def press_forged(bot: BotHarness, who: Identity) -> list[str]:
    """Press the newest buttons' first choice with its value replaced by one no button carries."""
    message = last_with_buttons(bot, who.user_id)
    data = next(iter(buttons(message).values()))
    forged = data.rsplit(":", 1)[0] + ":bogus"
    return alerts(await bot.press(who, message, forged))


async def test_a_forged_choice_in_the_middle_of_a_flow_is_a_stale_button(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    """Kind of update, type and status of an initiative, audience of a notice: a value no button offers
    gets the stale-button answer, not the generic apology, and the flow waits for a real choice."""
    stale = "This button is no longer available"
    contact, admin = people["contact"], people["admin"]
    await bot.send(contact, "/post MP-MA-2013")
    assert stale in press_text(await press_forged(bot, contact))
    await bot.send(admin, "/newinitiative")
    await bot.send(admin, "EU-Gambia pilot partnership")
    assert stale in press_text(await press_forged(bot, admin))
    await tap(bot, admin, next(iter(buttons(last_with_buttons(bot, admin.user_id)))))
    assert stale in press_text(await press_forged(bot, admin))
    await bot.send(admin, "/cancel")
    await bot.send(admin, "/broadcast")
    await bot.send(admin, "Plenary moved")
    assert stale in press_text(await press_forged(bot, admin))
    assert bot.errors == []


def press_text(said: list[str]) -> str:
    """The one alert a press got."""
    [text] = said
    return text
