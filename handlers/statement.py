"""The privacy statement in each language: the deployer's file (PRIVACY_FILE), else the shipped one.

Read once when the application is built; settings have already checked the deployer's file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from bot.domain.languages import BOT_LANGUAGES, DEFAULT_LANGUAGE
from bot.domain.privacy import LANGUAGE_SLOT, fill, statement_path
from bot.domain.retention import RetentionPolicy


def shipped_statement(language: str) -> str:
    """The default statement shipped with the bot (English and French)."""
    return (
        resources.files("handlers")
        .joinpath("locales", f"privacy.{language}.html")
        .read_text(encoding="utf-8")
    )


def load_statements(template: str | None, policy: RetentionPolicy) -> dict[str, str]:
    """Language → statement, retention periods filled in; a language without its own file gets the default
    language's."""
    texts: dict[str, str] = {}
    for language in (DEFAULT_LANGUAGE, *(lang for lang in BOT_LANGUAGES if lang != DEFAULT_LANGUAGE)):
        if template is None:
            text = shipped_statement(language)
        else:
            path = Path(statement_path(template, language)).expanduser()
            own = LANGUAGE_SLOT in template and path.is_file()
            text = (
                path.read_text(encoding="utf-8")
                if own or language == DEFAULT_LANGUAGE
                else texts[DEFAULT_LANGUAGE]
            )
        texts[language] = fill(text, policy)
    return texts
