"""The audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from bot.domain.model import (
    AuditEntry,
)


class AuditRepository(Protocol):
    """The append-only audit log."""

    async def append(
        self,
        *,
        at: dt.datetime,
        actor_id: int | None,
        action: str,
        subject: str,
        details: dict[str, object] | None = None,
    ) -> AuditEntry: ...

    async def latest(self, limit: int, offset: int = 0) -> Sequence[AuditEntry]: ...
