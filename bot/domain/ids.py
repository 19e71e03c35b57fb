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


SHARED = "ini-"  # a start payload that opens an initiative: 'ini-MP-MA-2013'


def shared_payload(ref: str) -> str:
    """The /start payload of a link that opens the initiative `ref` (Telegram allows A-Z a-z 0-9 _ -)."""
    return SHARED + ref


def shared_ref(payload: str) -> str | None:
    """The reference a shared link's payload names, or None (an invitation's token, or nothing)."""
    if payload.startswith(SHARED) and 0 < len(payload) - len(SHARED) <= 32:
        return payload[len(SHARED) :]
    return None
