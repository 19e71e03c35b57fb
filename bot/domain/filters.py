"""Typed filters of /initiatives: `type:partnership status:active region:"Western Balkans" Morocco`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from bot.domain.country_index import normalise
from bot.domain.errors import InvalidInput
from bot.domain.typed import check_typed
from bot.domain.vocab import InitiativeStatus, InitiativeType

E = TypeVar("E", InitiativeType, InitiativeStatus)
TOKEN = re.compile(r'(\w+):"([^"]*)"?|(\w+):(\S+)|"([^"]*)"?|(\S+)')
TYPE_CODES = {t: t.value[:3] for t in InitiativeType}
STATUS_CODES = {s: s.value[:3] for s in InitiativeStatus}
KEY_ALIASES = {"statut": "status", "région": "region", "pays": "country"}  # the French keys


@dataclass(frozen=True, slots=True)
class TypedFilter:
    """What the user typed: keyed parts, and the free words left over (a country or region name)."""

    type: InitiativeType | None = None
    status: InitiativeStatus | None = None
    region: str | None = None
    country: str | None = None
    words: str = ""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The names of types and statuses a member may type (any language the bot speaks), and those shown to
    them (their language)."""

    accepted: Mapping[str, str] = field(default_factory=dict)  # a name, normalised → the value
    shown: Mapping[str, str] = field(default_factory=dict)  # a value → its name for the member


NO_NAMES = Vocabulary()


def parse_filter(text: str, names: Vocabulary = NO_NAMES) -> TypedFilter:
    """Split keyed parts from free words; unknown keys or values are refused with the choices."""
    found: dict[str, str] = {}
    words: list[str] = []
    for match in TOKEN.finditer(check_typed(text, lines=False)[:300]):
        key = (match.group(1) or match.group(3) or "").lower()
        key = KEY_ALIASES.get(key, key)
        value = match.group(2) if match.group(1) else match.group(4)
        if not key:
            words.append(match.group(5) or match.group(6) or "")
        elif key in ("type", "status", "region", "country"):
            found[key] = (value or "").strip()
        else:
            raise InvalidInput("filter.bad_key", key=key[:20])
    return TypedFilter(
        type=_choice(InitiativeType, found.get("type"), "type", names),
        status=_choice(InitiativeStatus, found.get("status"), "status", names),
        region=found.get("region") or None,
        country=found.get("country") or None,
        words=" ".join(w for w in words if w).strip(),
    )


def _choice(kind: type[E], value: str | None, name: str, names: Vocabulary) -> E | None:
    if not value:
        return None
    wanted = value.lower().replace(" ", "_").replace("-", "_")
    for member in kind:
        if member.value == wanted or (len(wanted) >= 3 and member.value.startswith(wanted)):
            return member
    known = {m.value: m for m in kind}
    named = names.accepted.get(normalise(value))
    if named in known:
        return known[named]
    choices = ", ".join(names.shown.get(m.value, m.value) for m in kind)
    raise InvalidInput(f"filter.bad_{name}", value=value[:30], choices=choices)
