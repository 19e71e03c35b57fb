"""Typed filters of /initiatives: `type:partnership status:active region:"Western Balkans" Morocco`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from bot.domain.errors import InvalidInput
from bot.domain.typed import check_typed
from bot.domain.vocab import InitiativeStatus, InitiativeType

E = TypeVar("E", InitiativeType, InitiativeStatus)
TOKEN = re.compile(r'(\w+):"([^"]*)"?|(\w+):(\S+)|"([^"]*)"?|(\S+)')
TYPE_CODES = {t: t.value[:3] for t in InitiativeType}
STATUS_CODES = {s: s.value[:3] for s in InitiativeStatus}


@dataclass(frozen=True, slots=True)
class TypedFilter:
    """What the user typed: keyed parts, and the free words left over (a country or region name)."""

    type: InitiativeType | None = None
    status: InitiativeStatus | None = None
    region: str | None = None
    country: str | None = None
    words: str = ""


def parse_filter(text: str) -> TypedFilter:
    """Split keyed parts from free words; unknown keys or values are refused with the choices."""
    found: dict[str, str] = {}
    words: list[str] = []
    for match in TOKEN.finditer(check_typed(text, lines=False)[:300]):
        key = (match.group(1) or match.group(3) or "").lower()
        value = match.group(2) if match.group(1) else match.group(4)
        if not key:
            words.append(match.group(5) or match.group(6) or "")
        elif key in ("type", "status", "region", "country"):
            found[key] = (value or "").strip()
        else:
            raise InvalidInput("filter.bad_key", key=key[:20])
    return TypedFilter(
        type=_choice(InitiativeType, found.get("type"), "type"),
        status=_choice(InitiativeStatus, found.get("status"), "status"),
        region=found.get("region") or None,
        country=found.get("country") or None,
        words=" ".join(w for w in words if w).strip(),
    )


def _choice(kind: type[E], value: str | None, name: str) -> E | None:
    if not value:
        return None
    wanted = value.lower().replace(" ", "_").replace("-", "_")
    for member in kind:
        if member.value == wanted or (len(wanted) >= 3 and member.value.startswith(wanted)):
            return member
    raise InvalidInput(
        "filter.bad_value", key=name, value=value[:30], choices=", ".join(m.value for m in kind)
    )
