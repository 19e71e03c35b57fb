"""One sending budget for every process that shares a bot token (PostgreSQL): slots handed out atomically.

Each send takes the next slot of its chat (one a second; three seconds for a group, so twenty a minute)
and then the next overall slot at or after it (evenly spaced at the overall rate), in one statement, so
two processes never exceed Telegram's limits together. The sender waits for a chat's own readiness
locally first, so a busy chat does not push the overall slots ahead.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

RESERVE = text(
    """
    WITH chat AS (
        INSERT INTO send_budget (key, next_slot) VALUES (:chat_key, :now)
        ON CONFLICT (key) DO UPDATE
            SET next_slot = GREATEST(send_budget.next_slot + make_interval(secs => :chat_gap), :now)
        RETURNING next_slot
    ), overall AS (
        INSERT INTO send_budget (key, next_slot)
        VALUES ('overall', GREATEST(:now, (SELECT next_slot FROM chat)))
        ON CONFLICT (key) DO UPDATE
            SET next_slot = GREATEST(send_budget.next_slot + make_interval(secs => :spacing), :now,
                                     (SELECT next_slot FROM chat))
        RETURNING next_slot
    )
    SELECT next_slot FROM overall
    """
)


class SqlSendBudget:
    """Reserve a start time for one message (the caller sleeps until it)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def reserve(self, chat_id: int, now: dt.datetime, spacing: float, chat_gap: float) -> dt.datetime:
        """The earliest time this message may start, given every other process's reservations."""
        value = await self._session.scalar(
            RESERVE, {"now": now, "spacing": spacing, "chat_key": f"chat:{chat_id}", "chat_gap": chat_gap}
        )
        assert isinstance(value, dt.datetime)
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
