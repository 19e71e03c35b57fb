"""Dates and times as members read them: in their own time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.domain.model import Viewer
from bot.domain.timezones import DEFAULT_ZONE


def local(when: dt.datetime, viewer: Viewer) -> str:
    """'2026-12-04 10:30 (Europe/Brussels)' in the viewer's zone."""
    zone = viewer.member.time_zone if viewer.member else DEFAULT_ZONE
    return f"{when.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"


def local_date(when: dt.datetime, viewer: Viewer) -> str:
    """'2026-12-04' in the viewer's zone."""
    zone = viewer.member.time_zone if viewer.member else DEFAULT_ZONE
    return f"{when.astimezone(ZoneInfo(zone)):%Y-%m-%d}"
