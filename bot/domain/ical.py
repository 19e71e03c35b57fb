"""Events as an iCalendar file (RFC 5545) that any calendar application imports, made with `icalendar`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from icalendar import Calendar
from icalendar import Event as VEvent

from bot.domain.model import Event

PRODID = "-//EMWP//emwp-bot//EN"
DEFAULT_LENGTH = dt.timedelta(hours=1)  # an event without an end


def calendar(events: Iterable[Event], now: dt.datetime, host: str = "emwp-bot") -> bytes:
    """The VCALENDAR with one VEVENT per event (times in UTC), as bytes with CRLF line ends."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    for event in events:
        cal.add_component(_vevent(event, now, host))
    content: bytes = cal.to_ical()
    return content


def _vevent(event: Event, now: dt.datetime, host: str) -> VEvent:
    item = VEvent()
    item.add("uid", f"event-{event.id}@{host}")
    item.add("dtstamp", now.astimezone(dt.UTC))
    item.add("dtstart", event.starts_at.astimezone(dt.UTC))
    item.add("dtend", (event.ends_at or event.starts_at + DEFAULT_LENGTH).astimezone(dt.UTC))
    item.add("summary", event.title)
    if event.location:
        item.add("location", event.location)
    description = " · ".join(p for p in (event.initiative_ref, event.country_code, event.notes) if p)
    if description:
        item.add("description", description)
    return item
