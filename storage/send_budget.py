"""One sending budget for every process that shares a bot token (PostgreSQL): slots handed out atomically.

Each send takes the next overall slot (evenly spaced at the overall rate) at or after its chat's next
slot, and moves the chat's next slot to one gap after the time granted (one second; three for a group,
so twenty a minute), in one statement with the chat's row locked, so two processes never exceed
Telegram's limits together. The sender waits for a chat's own readiness
locally first, so a busy chat does not push the overall slots ahead.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# The chat's row must exist before it can be locked: two first messages to a chat would both miss it.
ENSURE_CHAT = text(
    "INSERT INTO send_budget (key, next_slot) VALUES (:chat_key, :epoch) ON CONFLICT (key) DO NOTHING"
)
RESERVE = text(
    """
    WITH chat AS (
        SELECT next_slot FROM send_budget WHERE key = :chat_key FOR UPDATE
    ), overall AS (
        INSERT INTO send_budget (key, next_slot)
        VALUES ('overall', GREATEST(:now, COALESCE((SELECT next_slot FROM chat), :now)))
        ON CONFLICT (key) DO UPDATE
            SET next_slot = GREATEST(send_budget.next_slot + make_interval(secs => :spacing), :now,
                                     COALESCE((SELECT next_slot FROM chat), :now))
        RETURNING next_slot
    )
    INSERT INTO send_budget (key, next_slot)
    SELECT :chat_key, next_slot + make_interval(secs => :chat_gap) FROM overall
    ON CONFLICT (key) DO UPDATE SET next_slot = EXCLUDED.next_slot
    RETURNING next_slot - make_interval(secs => :chat_gap)
    """
)


class SqlSendBudget:
    """Reserve a start time for one message (the caller sleeps until it)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def reserve(self, chat_id: int, now: dt.datetime, spacing: float, chat_gap: float) -> dt.datetime:
        """The earliest time this message may start, given every other process's reservations."""
        await self._session.execute(
            ENSURE_CHAT, {"chat_key": f"chat:{chat_id}", "epoch": now - dt.timedelta(days=1)}
        )
        value = await self._session.scalar(
            RESERVE, {"now": now, "spacing": spacing, "chat_key": f"chat:{chat_id}", "chat_gap": chat_gap}
        )
        assert isinstance(value, dt.datetime)
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
