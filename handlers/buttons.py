"""The kinds of button that more than one feature shows: typed callback data (handlers.callback_data).

A kind used by one feature only lives in that feature's module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.domain.posting import FollowKind
from handlers.callback_data import CallbackData


@dataclass(frozen=True)
class PostOn(CallbackData, prefix="pst:start"):
    """'Post an update' on an initiative's page."""

    initiative: int


@dataclass(frozen=True)
class OpenUpdate(CallbackData, prefix="upd:show"):
    """One update in full: 'Open' on an alert, ✉ N on an initiative."""

    update: int


@dataclass(frozen=True)
class Follow(CallbackData, prefix="fol"):
    """🔔 / 🔕 on an initiative, a country or a region."""

    action: Literal["on", "off"]
    kind: FollowKind
    target: str


@dataclass(frozen=True)
class EditInitiative(CallbackData, prefix="ied"):
    """✏️ Edit on an initiative (admins): its editable fields."""

    initiative: int
