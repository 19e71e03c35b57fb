"""User-facing text by message id, in English and French; filled values are HTML-escaped.

A message is a text, or, where it shows a number, a mapping of CLDR plural categories (`one`, `other`, and
`many` in French) chosen by the number `count` with Babel's plural rules. Inside any text,
`{name|counted.id}` puts the plural message `counted.id` for the number `name` (several numbers, one text).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

import yaml
from babel import Locale
from babel.numbers import format_decimal

from bot.domain.languages import BOT_LANGUAGES, DEFAULT_LANGUAGE

Message = str | dict[str, str]
COUNTED = re.compile(r"\{(\w+)\|([\w.]+)\}")  # {updates|n.updates}: a number and its plural message


class Html(str):
    """A value already rendered as safe HTML; `t` inserts it without escaping."""

    __slots__ = ()


@cache
def messages(language: str) -> dict[str, Message]:
    """All texts of one language, read once from the shipped YAML file."""
    source = resources.files("handlers").joinpath("locales", f"{language}.yaml").read_text(encoding="utf-8")
    texts = yaml.safe_load(source)
    if not isinstance(texts, dict):
        raise ValueError(f"locales/{language}.yaml is not a mapping of message ids to texts")
    typeset = french_spacing if language == "fr" else str
    return {
        str(key): {str(k): typeset(str(v)) for k, v in value.items()}
        if isinstance(value, dict)
        else typeset(str(value))
        for key, value in texts.items()
    }


NARROW_NBSP = "\u202f"
BEFORE_MARK = re.compile(r"[ \u00a0]([:;?!»])")  # 'Pays : Maroc' → a narrow no-break space before ':'
AFTER_QUOTE = re.compile(r"«[ \u00a0]")


def french_spacing(text: str) -> str:
    """French typography: a narrow no-break space before : ; ? ! and », and after «, so that a line
    never breaks between a word and its mark."""
    return AFTER_QUOTE.sub("«" + NARROW_NBSP, BEFORE_MARK.sub(NARROW_NBSP + r"\1", text))


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def plural_category(language: str, number: object) -> str:
    """CLDR's category of `number` in `language` ('one', 'many', 'other'…); not a number: 'other'."""
    try:
        value = int(str(number).rstrip("+"))
    except ValueError:
        return "other"
    return str(_locale(language).plural_form(value))


def _template(language: str, message_id: str, count: object) -> str:
    found = messages(language).get(message_id) or messages(DEFAULT_LANGUAGE)[message_id]
    if isinstance(found, str):
        return found
    return found.get(plural_category(language, count)) or found["other"]


def _number(language: str, value: object) -> str:
    """A count written the language's way ('1,000', '1 000'); anything else as it is."""
    return format_decimal(value, locale=language) if isinstance(value, int) else str(value)


def t(language: str, message_id: str, **values: object) -> str:
    """The text `message_id` in `language` (English if missing), with values escaped unless `Html`."""
    lang = language if language in BOT_LANGUAGES else DEFAULT_LANGUAGE
    template = _template(lang, message_id, values.get("count"))
    safe = {k: v if isinstance(v, Html) else html.escape(str(v), quote=False) for k, v in values.items()}
    if "count" in values and not isinstance(messages(lang).get(message_id), str):
        safe["count"] = _number(lang, values["count"])
    template = COUNTED.sub(lambda m: _counted(lang, m.group(2), values.get(m.group(1))), template)
    return template.format(**safe)


def _counted(language: str, message_id: str, number: object) -> str:
    """A plural message for one number, with its braces kept safe for the outer `format`."""
    shown = _number(language, number) if isinstance(number, int) else html.escape(str(number), quote=False)
    text = _template(language, message_id, number).replace("{count}", shown)
    return text.replace("{", "{{").replace("}", "}}")


def forms(message: Message) -> Mapping[str, str]:
    """A message's texts by plural category ('other' alone for a plain text)."""
    return message if isinstance(message, dict) else {"other": message}
