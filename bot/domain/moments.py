"""Dates and times as people in Europe write them, in English or French, read by `dateparser`.

Day before month ('05/12/2026' is 5 December), 24-hour clocks and French hours ('7h30', 'demain 9h'),
words ('tomorrow 9am', 'lundi 14h'). What is read is always shown back before it is saved.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import dateparser

from bot.domain.typed import check_typed

LANGUAGES = ["en", "fr"]
# '9h', '7h30', '14 h 05': French hours, which dateparser would read as durations ('9 hours').
FRENCH_HOUR = re.compile(r"\b(\d{1,2})\s?h(?:\s?(\d{2}))?\b", re.IGNORECASE)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _read(text: str, base: dt.datetime, prefer: str) -> dt.datetime | None:
    cleaned = FRENCH_HOUR.sub(lambda m: f"{int(m.group(1)):02d}:{m.group(2) or '00'}", text.strip())
    settings = {
        "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": prefer,
        "PREFER_DAY_OF_MONTH": "first",
        "RELATIVE_BASE": base.replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
        "STRICT_PARSING": False,
    }
    if not cleaned or len(cleaned) > 60:
        return None
    found: dt.datetime | None = dateparser.parse(cleaned, languages=LANGUAGES, settings=settings)
    return found


def read_moment(text: str, now: dt.datetime, zone: str) -> dt.datetime | None:
    """A moment to come ('tomorrow 9am', '05/12/2026 09:00', 'demain 9h'), in `zone`; None if unreadable."""
    check_typed(text, lines=False)
    tz = ZoneInfo(zone)
    found = _read(text, now.astimezone(tz), "future")
    return found.replace(tzinfo=tz) if found is not None else None


def read_day(text: str, today: dt.date) -> dt.date | None:
    """A calendar day ('31/12/2026', '7 décembre 2026', '2026-12-31'); None if unreadable."""
    check_typed(text, lines=False)
    if ISO_DATE.fullmatch(text.strip()):
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            return None
    found = _read(text, dt.datetime.combine(today, dt.time(12)), "current_period")
    return found.date() if found is not None else None


def read_clock(text: str) -> dt.time | None:
    """A time of day ('08:00', '7h30', '8am', '17 h'); None if unreadable."""
    check_typed(text, lines=False)
    if not any(c.isdigit() for c in text):
        return None
    found = _read(text, dt.datetime(2000, 1, 3, 0, 0), "current_period")
    if found is None or found.date() != dt.date(2000, 1, 3):  # a day was named: not a time of day
        return None
    return found.time().replace(second=0, microsecond=0)
