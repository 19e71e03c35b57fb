"""Dates and times as members read them: in their own time zone, the way their language writes them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.domain.model import Viewer
from bot.domain.timezones import DEFAULT_ZONE

# French writes dates in words and days first ('7 décembre 2026 à 07:30', '07/12/2026'); English keeps the
# unambiguous ISO form the working party's documents use.
MOMENT = {"fr": "d MMMM y 'à' HH:mm"}
DAY = {"fr": "dd/MM/y"}


def local(when: dt.datetime, viewer: Viewer) -> str:
    """'2026-12-04 10:30 (Europe/Brussels)', '4 décembre 2026 à 10:30 (Europe/Brussels)', in the viewer's
    zone."""
    zone = viewer.member.time_zone if viewer.member else DEFAULT_ZONE
    there = when.astimezone(ZoneInfo(zone))
    pattern = MOMENT.get(viewer.language)
    shown = format_datetime(there, pattern, locale=viewer.language) if pattern else f"{there:%Y-%m-%d %H:%M}"
    return f"{shown} ({zone})"


def local_date(when: dt.datetime, viewer: Viewer) -> str:
    """'2026-12-04', '04/12/2026', in the viewer's zone."""
    zone = viewer.member.time_zone if viewer.member else DEFAULT_ZONE
    there = when.astimezone(ZoneInfo(zone))
    pattern = DAY.get(viewer.language)
    return format_datetime(there, pattern, locale=viewer.language) if pattern else f"{there:%Y-%m-%d}"
