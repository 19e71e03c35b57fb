"""Numeric ids as users and buttons give them: ASCII digits within the store's 32-bit range."""

from __future__ import annotations

MAX_ID = 2**31 - 1


def parse_id(value: str) -> int | None:
    """The id in `value`, or None ('²', '-1', '99999999999' and words are not ids)."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if number <= MAX_ID else None
