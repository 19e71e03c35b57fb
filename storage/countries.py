"""Third countries from pycountry (ISO 3166-1), named in every EU official language."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache

import pycountry

from bot.domain.languages import EU_OFFICIAL_LANGUAGES
from bot.domain.model import Country

# Kosovo has no official ISO 3166-1 code; the EU uses the user-assigned XK.
KOSOVO_NAMES = {
    "bg": "Косово",
    "cs": "Kosovo",
    "da": "Kosovo",
    "de": "Kosovo",
    "el": "Κοσσυφοπέδιο",
    "en": "Kosovo",
    "es": "Kosovo",
    "et": "Kosovo",
    "fi": "Kosovo",
    "fr": "Kosovo",
    "ga": "an Chosaiv",
    "hr": "Kosovo",
    "hu": "Koszovó",
    "it": "Kosovo",
    "lt": "Kosovas",
    "lv": "Kosova",
    "mt": "il-Kosovo",
    "nl": "Kosovo",
    "pl": "Kosowo",
    "pt": "Kosovo",
    "ro": "Kosovo",
    "sk": "Kosovo",
    "sl": "Kosovo",
    "sv": "Kosovo",
}


@cache
def load_countries() -> tuple[Country, ...]:
    """Every ISO 3166-1 country plus Kosovo (XK), sorted by code."""
    translators = {lang: _translator(lang) for lang in EU_OFFICIAL_LANGUAGES}
    countries = [
        Country(
            code=entry.alpha_2,
            name=_english_name(entry),
            names={lang: tr(entry.name) for lang, tr in translators.items()},
        )
        for entry in pycountry.countries
    ]
    countries.append(Country(code="XK", name="Kosovo", names=dict(KOSOVO_NAMES)))
    return tuple(sorted(countries, key=lambda c: c.code))


def _english_name(entry: object) -> str:
    return str(getattr(entry, "common_name", None) or getattr(entry, "name"))  # noqa: B009


def _translator(lang: str) -> Callable[[str], str]:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True).gettext
