"""Rules of posting: what a draft holds, its limits, who may edit, and how an update is protected."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.errors import InvalidInput
from bot.domain.typed import check_typed
from bot.domain.vocab import Tlp, UpdateKind

TEXT_LIMIT = 3500
EDIT_WINDOW_HOURS = 48
EDIT_WINDOW = dt.timedelta(hours=EDIT_WINDOW_HOURS)
PROTECTED = frozenset({Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED})


class FollowKind(StrEnum):
    """What a member can follow."""

    INITIATIVE = "initiative"
    COUNTRY = "country"
    REGION = "region"


@dataclass(frozen=True, slots=True)
class Draft:
    """An update as the author composed it; `key` makes confirming it twice post it once."""

    key: str
    initiative_id: int
    kind: UpdateKind
    text: str
    tlp: Tlp = Tlp.GREEN
    red_delegations: frozenset[str] = field(default_factory=frozenset)
    attachment_kind: str | None = None
    attachment_file_id: str | None = None


@dataclass(frozen=True, slots=True)
class Follow:
    """One thing a member follows, with a name to show."""

    kind: FollowKind
    target: str
    label: str


def check_text(text: str) -> str:
    """1 to 3,500 characters, stored exactly as written (only surrounding blank lines are trimmed).

    A control character (NUL, which PostgreSQL cannot store, and the others) is refused with a reason.
    """
    check_typed(text)
    stripped = text.strip("\n\r ")
    if not stripped:
        raise InvalidInput("post.text_empty", limit=TEXT_LIMIT)
    if len(text) > TEXT_LIMIT:
        raise InvalidInput("post.text_long", limit=TEXT_LIMIT, length=len(text))
    return stripped


def protected(tlp: Tlp) -> bool:
    """AMBER and stricter go out with Telegram's protect_content: no forwarding, no saving."""
    return tlp in PROTECTED


def editable_until(created_at: dt.datetime) -> dt.datetime:
    """Authors (and admins) may edit or withdraw until then."""
    return created_at + EDIT_WINDOW
