"""The EU's 24 official languages (ISO 639-1) and the languages the bot speaks."""

from __future__ import annotations

EU_OFFICIAL_LANGUAGES: tuple[str, ...] = (
    "bg",
    "cs",
    "da",
    "de",
    "el",
    "en",
    "es",
    "et",
    "fi",
    "fr",
    "ga",
    "hr",
    "hu",
    "it",
    "lt",
    "lv",
    "mt",
    "nl",
    "pl",
    "pt",
    "ro",
    "sk",
    "sl",
    "sv",
)
BOT_LANGUAGES: tuple[str, ...] = ("en", "fr")
DEFAULT_LANGUAGE = "en"


def bot_language(code: str | None) -> str:
    """The bot language for a Telegram `language_code` such as 'fr-BE'; English otherwise."""
    if not code:
        return DEFAULT_LANGUAGE
    base = code.split("-")[0].lower()
    return base if base in BOT_LANGUAGES else DEFAULT_LANGUAGE
