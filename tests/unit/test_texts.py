"""Texts by message id: both languages complete, placeholders matching, values escaped."""

from __future__ import annotations

import string

from bot.domain.languages import BOT_LANGUAGES, bot_language
from handlers.menu import SERVED_COMMANDS
from handlers.texts import Html, messages, t


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_language_has_every_message_with_the_same_placeholders() -> None:
    english = messages("en")
    for language in BOT_LANGUAGES:
        texts = messages(language)
        assert set(texts) == set(english), language
        for key, template in texts.items():
            assert placeholders(template) == placeholders(english[key]), (language, key)


def test_every_served_command_has_a_menu_description_in_every_language() -> None:
    for language in BOT_LANGUAGES:
        for command in SERVED_COMMANDS:
            assert f"command.{command}" in messages(language), (language, command)


def test_values_are_escaped_unless_marked_html() -> None:
    assert t("en", "unknown.command", command="<i>&") == (
        "I don't know the command &lt;i&gt;&amp;. /help lists what you can do."
    )
    assert "<i>x</i>" in t("en", "unknown.command", command=Html("<i>x</i>"))


def test_user_braces_are_kept_as_written() -> None:
    assert "{name}" in t("en", "unknown.command", command="{name}")


def test_telegram_language_codes_map_to_bot_languages() -> None:
    assert bot_language("fr-BE") == "fr"
    assert bot_language("de") == "en"
    assert bot_language(None) == "en"
