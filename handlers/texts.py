"""User-facing text by message id, in English and French; filled values are HTML-escaped."""

from __future__ import annotations

import html
from functools import cache
from importlib import resources

import yaml

from bot.domain.languages import BOT_LANGUAGES, DEFAULT_LANGUAGE


class Html(str):
    """A value already rendered as safe HTML; `t` inserts it without escaping."""

    __slots__ = ()


@cache
def messages(language: str) -> dict[str, str]:
    """All texts of one language, read once from the shipped YAML file."""
    source = resources.files("handlers").joinpath("locales", f"{language}.yaml").read_text(encoding="utf-8")
    texts = yaml.safe_load(source)
    if not isinstance(texts, dict):
        raise ValueError(f"locales/{language}.yaml is not a mapping of message ids to texts")
    return {str(key): str(value) for key, value in texts.items()}


def t(language: str, message_id: str, **values: object) -> str:
    """The text `message_id` in `language` (English if missing), with values escaped unless `Html`."""
    lang = language if language in BOT_LANGUAGES else DEFAULT_LANGUAGE
    template = messages(lang).get(message_id) or messages(DEFAULT_LANGUAGE)[message_id]
    safe = {k: v if isinstance(v, Html) else html.escape(str(v), quote=False) for k, v in values.items()}
    return template.format(**safe)
