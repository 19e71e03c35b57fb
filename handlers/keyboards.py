"""Callback data and inline keyboards: pure builders. Callback data is never trusted on return."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.errors import InvalidInput
from bot.domain.ids import parse_id
from handlers.callback_data import CallbackData

E = TypeVar("E", bound=Enum)

SEP = ":"
MAX_CALLBACK_BYTES = 64


def cb(*parts: object) -> str:
    """Encode callback data as 'prefix:part:part', within Telegram's 64-byte limit."""
    data = SEP.join(str(p) for p in parts)
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def parts(data: str | None, prefix: str, count: int) -> list[str] | None:
    """Decode callback data with `prefix` and exactly `count` parts after it; None if it does not fit."""
    if not data:
        return None
    pieces = data.split(SEP)
    if pieces[0] != prefix or len(pieces) != count + 1:
        return None
    return pieces[1:]


def chosen(kind: type[E], value: str) -> E:
    """The member of `kind` a button's data names; a forged or outdated value is a stale button."""
    for member in kind:
        if member.value == value:
            return member
    raise InvalidInput("error.stale")


def as_int(value: str) -> int | None:
    """A non-negative id from callback data (ASCII digits, within the store's range), or None."""
    return parse_id(value)


def pattern(prefix: str) -> str:
    """The CallbackQueryHandler pattern for a prefix."""
    return f"^{prefix}{SEP}"


def button(text: str, *data: object) -> InlineKeyboardButton:
    """A callback button: its data a typed `CallbackData` value (or, for buttons not yet typed, parts)."""
    if len(data) == 1 and isinstance(data[0], CallbackData):
        return InlineKeyboardButton(text, callback_data=data[0].data)
    return InlineKeyboardButton(text, callback_data=cb(*data))


def mark(chosen: bool) -> str:
    """'✓ ' before the label of what is chosen now."""
    return "✓ " if chosen else ""


def grid(buttons: Sequence[InlineKeyboardButton], columns: int) -> list[list[InlineKeyboardButton]]:
    """Buttons in rows of `columns`."""
    return [list(buttons[i : i + columns]) for i in range(0, len(buttons), columns)]


def keyboard(*rows: Iterable[InlineKeyboardButton]) -> InlineKeyboardMarkup | None:
    """An inline keyboard from rows, skipping empty ones; None when no button is left."""
    kept = [list(r) for r in rows if r]
    return InlineKeyboardMarkup(kept) if kept else None
