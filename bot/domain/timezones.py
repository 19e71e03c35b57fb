"""IANA time zones, validated, found by name, city or country; the few used most offered as buttons."""

from __future__ import annotations

import gettext
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

import pycountry
from babel import Locale

from bot.domain.country_index import normalise

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


def zone_for(text: str) -> str | None:
    """The zone `text` names: an IANA name ('Europe/Paris'), a city of one ('Paris', 'new york') or a
    country, in English or French ('France', 'Belgique': its first zone in the tz database); else None."""
    found = canonical_zone(text)
    if found is not None:
        return found
    wanted = normalise(text)
    return _cities().get(wanted) or _countries().get(wanted)


@cache
def _cities() -> dict[str, str]:
    """Cities by their English names (the zones' own) and French ones (CLDR's, through Babel)."""
    cities: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Chile/")):
            cities.setdefault(normalise(zone.rsplit("/", 1)[1].replace("_", " ")), zone)
    for zone, names in Locale("fr").time_zones.items():
        city = names.get("city")
        if isinstance(city, str) and zone in available_timezones():
            cities.setdefault(normalise(city), zone)
    return cities


@cache
def _countries() -> dict[str, str]:
    first: dict[str, str] = {}
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, _, zone = line.split("\t")[:3]
            first.setdefault(code, zone)
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)
    names: dict[str, str] = {}
    for country in pycountry.countries:
        if country.alpha_2 not in first:
            continue
        for name in {
            country.name,
            getattr(country, "common_name", country.name),
            french.gettext(country.name),
        }:
            names.setdefault(normalise(name), first[country.alpha_2])
    return names
