"""Protocols the storage layer implements for personal data, retention and the archive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.domain.archive import Record as ArchiveRecord
from bot.domain.model import Member
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


class RetentionRepository(Protocol):
    """The batches of the retention periods; each call does at most `limit` records."""

    async def try_lock(self) -> bool:
        """Take the retention lock for this transaction; False if another process holds it."""
        ...

    async def revoked_members(self, before: dt.datetime, limit: int) -> Sequence[Member]:
        """Members revoked before `before` and not yet erased, oldest revocation first."""
        ...

    async def count_revoked_members(self, before: dt.datetime) -> int: ...

    async def empty_payloads(self, before: dt.datetime, now: dt.datetime, limit: int) -> int:
        """Empty the payloads of finished outbox rows last touched before `before`."""
        ...

    async def count_payloads(self, before: dt.datetime) -> int: ...

    async def delete_refused_requests(self, before: dt.datetime, limit: int) -> int: ...

    async def count_refused_requests(self, before: dt.datetime) -> int: ...

    async def delete_expired_invites(self, before: dt.datetime, limit: int) -> int: ...

    async def count_expired_invites(self, before: dt.datetime) -> int: ...


class ArchiveRepository(Protocol):
    """The working party's exchange between two instants, as archive records."""

    async def updates(self, start: dt.datetime, end: dt.datetime) -> Sequence[ArchiveRecord]: ...

    async def notices(self, start: dt.datetime, end: dt.datetime) -> Sequence[ArchiveRecord]: ...

    async def rounds(self, start: dt.datetime, end: dt.datetime) -> Sequence[ArchiveRecord]: ...
