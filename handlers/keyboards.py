"""Inline keyboards: pure builders of buttons whose data are typed `CallbackData` values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.callback_data import CallbackData


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    """A callback button; its data a typed `CallbackData` value (decoded only by its kind)."""
    return InlineKeyboardButton(text, callback_data=data.data)


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
