"""Events as an iCalendar file (RFC 5545) that any calendar application imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.domain.model import Event

PRODID = "-//EMWP//emwp-bot//EN"


def escape(text: str) -> str:
    """TEXT value escaping: backslash, semicolon, comma and newlines."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> list[str]:
    """Lines of at most 75 octets, continuation lines starting with a space."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return [out[0], *(" " + part for part in out[1:])]


def stamp(when: dt.datetime) -> str:
    """A UTC date-time value."""
    return when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(events: Iterable[Event], now: dt.datetime, host: str = "emwp-bot") -> bytes:
    """The VCALENDAR with one VEVENT per event, CRLF line ends, UTF-8."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for event in events:
        lines += _vevent(event, now, host)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(part for line in lines for part in fold(line)) + "\r\n").encode()


def _vevent(event: Event, now: dt.datetime, host: str) -> list[str]:
    end = event.ends_at or event.starts_at + dt.timedelta(hours=1)
    lines = [
        "BEGIN:VEVENT",
        f"UID:event-{event.id}@{host}",
        f"DTSTAMP:{stamp(now)}",
        f"DTSTART:{stamp(event.starts_at)}",
        f"DTEND:{stamp(end)}",
        f"SUMMARY:{escape(event.title)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape(event.location)}")
    description = " · ".join(p for p in (event.initiative_ref, event.country_code, event.notes) if p)
    if description:
        lines.append(f"DESCRIPTION:{escape(description)}")
    lines.append("END:VEVENT")
    return lines
