"""Protocols the storage layer implements for personal data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.domain.personal_data import Record


class PersonalDataRepository(Protocol):
    """Everything about one person."""

    async def collect(self, telegram_user_id: int, member_id: int | None) -> Mapping[str, Sequence[Record]]:
        """Every record about the person, by table name (personal_data.SECTIONS)."""
        ...
