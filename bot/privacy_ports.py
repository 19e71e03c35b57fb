"""Protocols the storage layer implements for personal data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.domain.personal_data import Erasure, Record


class PersonalDataRepository(Protocol):
    """Everything about one person, and their erasure."""

    async def collect(self, telegram_user_id: int, member_id: int | None) -> Mapping[str, Sequence[Record]]:
        """Every record about the person, by table name (personal_data.SECTIONS)."""
        ...

    async def erase(
        self, telegram_user_id: int, member_id: int | None, pseudonym: str, now: dt.datetime
    ) -> Erasure:
        """Replace the person by `pseudonym` everywhere; keep every record of the exchange."""
        ...
