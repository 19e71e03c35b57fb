"""Checks for what an admin types when creating or editing an initiative."""

from __future__ import annotations

import datetime as dt
import re

from bot.domain.errors import InvalidInput
from bot.domain.moments import read_day
from bot.domain.seed import REF_PATTERN
from bot.domain.typed import check_typed
from bot.domain.vocab import InitiativeType

REF_PREFIX = {
    InitiativeType.ACTION_PLAN: "AP",
    InitiativeType.PARTNERSHIP: "PART",
    InitiativeType.DIALOGUE: "DIAL",
    InitiativeType.STRATEGY: "STRAT",
    InitiativeType.ROAD_MAP: "RM",
    InitiativeType.AGREEMENT: "AGR",
    InitiativeType.FUNDING_PROGRAMME: "FUND",
    InitiativeType.OTHER: "INIT",
}
URL = re.compile(r"^https?://[^\s<>\"]+$")


def check_text(value: str, field: str, low: int, high: int) -> str:
    """Trimmed text of `low` to `high` characters; only notes may have several lines."""
    cleaned = check_typed(value, lines=field == "notes").strip()
    if not low <= len(cleaned) <= high:
        raise InvalidInput("draft.bad_length", field=field, low=low, high=high, length=len(cleaned))
    return cleaned


def parse_date(value: str, today: dt.date) -> dt.date:
    """A date as people write it: '31/12/2026', '31 December 2026', '7 décembre 2026', '2026-12-31'."""
    found = read_day(value, today)
    if found is None:
        raise InvalidInput("draft.bad_date", value=value.strip()[:30])
    return found


def check_period(start: dt.date | None, end: dt.date | None) -> None:
    """An initiative cannot end before it starts (either date may be unknown)."""
    if start is not None and end is not None and end < start:
        raise InvalidInput("draft.end_before_start", start=start.isoformat(), end=end.isoformat())


def check_url(value: str) -> str:
    """An http(s) link."""
    cleaned = check_typed(value, lines=False).strip()
    if len(cleaned) > 1000 or not URL.match(cleaned):
        raise InvalidInput("draft.bad_url")
    return cleaned


def check_ref(value: str) -> str:
    """A readable reference like MP-MA-2013."""
    cleaned = check_typed(value, lines=False).strip().upper()
    if len(cleaned) > 32 or not REF_PATTERN.match(cleaned):
        raise InvalidInput("draft.bad_ref")
    return cleaned


def suggest_ref(kind: InitiativeType, countries: tuple[str, ...], year: int) -> str:
    """'PART-MA-2026': the type's prefix, the one country (or MULTI), the year."""
    place = countries[0] if len(countries) == 1 else ("MULTI" if countries else "EU")
    return f"{REF_PREFIX[kind]}-{place}-{year}"
