"""Texts by message id: both languages complete, placeholders matching, values escaped."""

from __future__ import annotations

import re
import string

from babel import Locale

from bot.domain.languages import BOT_LANGUAGES, bot_language
from handlers.menu import SERVED_COMMANDS
from handlers.texts import COUNTED, Html, Message, forms, messages, plural_category, t

# A count followed by the word it counts ('{count} digests'): the word must follow the number's plural.
NUMBERS = re.compile(
    r"\{(count|total|followers|removed|cancelled|corrected|left|initiatives|updates|runs)\}"
    r" (?!of |sur |de |on |in |en )\w"
)


def placeholders(message: Message) -> set[str]:
    """Every placeholder of every form; `{name|counted.id}` counts as `name`."""
    found = set()
    for text in forms(message).values():
        plain = COUNTED.sub(lambda m: "{" + m.group(1) + "}", text)
        found |= {name for _, name, _, _ in string.Formatter().parse(plain) if name}
    return found


def test_every_language_has_every_message_with_the_same_placeholders() -> None:
    english = messages("en")
    for language in BOT_LANGUAGES:
        texts = messages(language)
        assert set(texts) == set(english), (language, set(texts) ^ set(english))
        for key, message in texts.items():
            assert placeholders(message) == placeholders(english[key]), (language, key)


def test_plural_messages_have_the_forms_their_language_needs_and_are_referenced_rightly() -> None:
    for language in BOT_LANGUAGES:
        texts = messages(language)
        for key, message in texts.items():
            if isinstance(message, dict):
                assert {"one", "other"} <= set(message), (language, key)
                assert set(message) <= set(Locale.parse(language).plural_form.tags) | {"other"}, (
                    language,
                    key,
                )
            for text in forms(message).values():
                for _name, counted in COUNTED.findall(text):
                    target = texts.get(counted)
                    assert isinstance(target, dict), (language, key, counted)
                    assert placeholders(target) <= {"count"}, (language, counted)


def test_no_text_writes_a_plural_by_hand() -> None:
    for language in BOT_LANGUAGES:
        for key, message in messages(language).items():
            for text in forms(message).values():
                assert not re.search(r"\((s|e|es|x)\)", text), (language, key, text)


def test_a_number_a_person_reads_comes_with_its_plural_forms() -> None:
    """Where a text shows a count beside a noun, the noun follows the number: the text is a plural
    message, or the number goes through one (`{n|counted.id}`)."""
    exempt = {"initiatives.header", "digest.more_updates", "digest.more_lines"}  # '12 found', '+3 more'
    for language in BOT_LANGUAGES:
        for key, message in messages(language).items():
            if isinstance(message, dict) or key in exempt or key.startswith("n."):
                continue
            assert not NUMBERS.search(message) or key in exempt, (language, key, message)


def test_plural_rules_are_the_languages() -> None:
    assert [plural_category("en", n) for n in (0, 1, 2)] == ["other", "one", "other"]
    assert [plural_category("fr", n) for n in (0, 1, 2)] == ["one", "one", "other"]
    assert t("fr", "unsubscribe.done", count=1).startswith("1 résumé arrêté.")
    assert t("fr", "unsubscribe.done", count=2).startswith("2 résumés arrêtés.")
    assert t("en", "search.header", query="q", initiatives=1, updates="500+", page=1, pages=9).startswith(
        "<b>Search</b> “q”: 1 initiative, 500+ updates"
    )
    assert "1 000 destinataires" in t("fr", "broadcast.preview", count=1000, when="x").replace("\u202f", " ")


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


def test_french_puts_a_narrow_no_break_space_before_double_marks() -> None:
    for key, message in messages("fr").items():
        for text in forms(message).values():
            assert not re.search(r"[ \u00a0][:;?!»]|«[ \u00a0]", text), (key, text)
    assert t("fr", "initiative.countries") + t("fr", "punct.colon") == "Pays\u202f: "
