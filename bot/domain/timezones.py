"""IANA time zones, validated; the few the working party uses most offered as buttons."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

COMMON_ZONES: tuple[str, ...] = (
    "Europe/Brussels",
    "Europe/Lisbon",
    "Europe/Dublin",
    "Europe/Athens",
    "Europe/Helsinki",
    "UTC",
)
DEFAULT_ZONE = "Europe/Brussels"


@cache
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def canonical_zone(name: str) -> str | None:
    """The IANA zone for `name` (any case, spaces for underscores), or None if there is none."""
    wanted = name.strip().replace(" ", "_").lower()
    zone = _zones().get(wanted)
    if zone is None:
        return None
    ZoneInfo(zone)  # loadable
    return zone
