"""Names of countries and regions in the member's language, and every name a region is known by."""

from __future__ import annotations

from bot.domain.country_index import normalise
from bot.domain.model import Country, Region

# The regions' names in the bot's other language (English is the region's own name in the store).
REGION_NAMES: dict[str, dict[str, str]] = {
    "fr": {
        "north_africa": "Afrique du Nord",
        "southern_neighbourhood": "Voisinage méridional",
        "sahel_lake_chad": "Sahel et lac Tchad",
        "west_africa": "Afrique de l'Ouest",
        "horn_of_africa": "Corne de l'Afrique",
        "middle_east": "Moyen-Orient",
        "western_balkans": "Balkans occidentaux",
        "eastern_partnership": "Partenariat oriental",
        "central_asia": "Asie centrale",
        "south_asia_silk_routes": "Routes de la soie",
        "eastern_mediterranean": "Route de la Méditerranée orientale",
        "central_mediterranean": "Route de la Méditerranée centrale",
        "western_mediterranean_atlantic": "Routes de la Méditerranée occidentale et de l'Atlantique",
        "latin_america_caribbean": "Amérique latine et Caraïbes",
    }
}


def country_name(country: Country, language: str) -> str:
    """The country's name in `language`, else its English name."""
    return country.names.get(language) or country.name


def region_name(region: Region, language: str) -> str:
    """The region's name in `language`, else its own (English) name."""
    return REGION_NAMES.get(language, {}).get(region.key) or region.name


def region_named(regions: list[Region] | tuple[Region, ...], text: str) -> Region | None:
    """The region `text` names: its key or its name in any language the bot knows (case and accents
    aside, a leading 'the' or 'route'/'routes' too)."""
    wanted = _bare(text)
    for region in regions:
        names = {
            region.key.replace("_", " "),
            region.name,
            *(n.get(region.key, "") for n in REGION_NAMES.values()),
        }
        if wanted and wanted in {_bare(n) for n in names if n}:
            return region
    return None


def _bare(text: str) -> str:
    words = normalise(text).split()
    while words and words[0] in ("the", "la", "le", "l", "les", "route", "routes", "de", "du", "des"):
        words = words[1:]
    return " ".join(w for w in words if w not in ("route", "routes"))
