"""Invitation tokens: random, URL-safe, short enough for a Telegram deep link, stored only as a hash."""

from __future__ import annotations

import hashlib
import re
import secrets

# Telegram's /start payload: up to 64 characters of [A-Za-z0-9_-].
PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TOKEN_BYTES = 32  # 43 characters of base64url, 256 bits of randomness
USES_CHOICES: tuple[int, ...] = (1, 5, 10, 30)
DAYS_CHOICES: tuple[int, ...] = (1, 7, 30)
MAX_USES = 500
MAX_DAYS = 90


def new_token() -> str:
    """A fresh random token that fits a deep-link payload."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What the store keeps instead of the token."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def well_formed(payload: str) -> bool:
    """Whether a /start payload could be a token at all."""
    return bool(PAYLOAD.match(payload))


def deep_link(bot_username: str, token: str) -> str:
    """The link that opens the bot and sends /start with the token."""
    return f"https://t.me/{bot_username}?start={token}"
