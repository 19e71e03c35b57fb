"""An /initiatives filter packed into callback data: 'MA.3.par.act' (region by id), '-' for none."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.domain.filters import STATUS_CODES, TYPE_CODES
from bot.domain.model import Region
from bot.domain.specs import InitiativeFilter

NONE = "-"
TYPES = {code: kind for kind, code in TYPE_CODES.items()}
STATUSES = {code: status for status, code in STATUS_CODES.items()}


def encode(where: InitiativeFilter, regions: Sequence[Region]) -> str:
    """The filter as a short dotted code."""
    region_id = next((str(r.id) for r in regions if r.key == where.region), NONE)
    return ".".join(
        [
            where.country or NONE,
            region_id,
            TYPE_CODES[where.type] if where.type else NONE,
            STATUS_CODES[where.status] if where.status else NONE,
        ]
    )


def decode(code: str, regions: Sequence[Region]) -> InitiativeFilter | None:
    """The filter back, or None if the code was not made by `encode` (or names a region now gone)."""
    pieces = code.split(".")
    if len(pieces) != 4:
        return None
    country, region, kind, status = pieces
    keys = {str(r.id): r.key for r in regions}
    if country != NONE and not re.fullmatch(r"[A-Z]{2}", country):
        return None
    if (region != NONE and region not in keys) or (kind != NONE and kind not in TYPES):
        return None
    if status != NONE and status not in STATUSES:
        return None
    return InitiativeFilter(
        country=None if country == NONE else country,
        region=keys.get(region),
        type=TYPES.get(kind),
        status=STATUSES.get(status),
    )


EVERYTHING = encode(InitiativeFilter(), ())  # no filter at all: '-.-.-.-'
