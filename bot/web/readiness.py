"""/readyz: whether this process should get traffic: the store answers with the current schema, the
outbox sender runs (here or, with leases, somewhere) and keeps up, and Telegram reports no recent webhook
error."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Bot

from bot.clock import Clock
from storage.factory import Store
from storage.health import outbox_gauges, reachable, schema_current

log = logging.getLogger(__name__)
WEBHOOK_ERROR_WINDOW = dt.timedelta(minutes=5)  # a delivery error Telegram reports is recent this long
WEBHOOK_INFO_TTL = 30.0  # seconds getWebhookInfo's answer is reused (readiness is probed often)


@dataclass
class Readiness:
    """The checks, with what they need; `check` runs them all and names what failed."""

    store: Store
    clock: Clock
    sender_running: Callable[[], bool]
    lag_threshold: dt.timedelta
    bot: Bot | None = None  # webhook mode: getWebhookInfo is consulted
    _webhook_checked: tuple[float, str | None] = field(default=(-WEBHOOK_INFO_TTL, None))

    async def check(self) -> dict[str, str]:
        """Each check's verdict: 'ok' or what is wrong."""
        verdicts = {"store": "ok", "schema": "ok", "sender": "ok", "outbox_lag": "ok"}
        try:
            await reachable(self.store.engine)
        except Exception as exc:
            return {
                **verdicts,
                "store": f"unreachable ({type(exc).__name__})",
                "schema": "unknown",
                "outbox_lag": "unknown",
            }
        try:
            if not await schema_current(self.store.engine):
                verdicts["schema"] = "migrations pending (emwp-bot db upgrade)"
            gauges = await outbox_gauges(self.store.engine, self.clock.now())
            if gauges.oldest_due_seconds > self.lag_threshold.total_seconds():
                verdicts["outbox_lag"] = f"oldest due row waited {gauges.oldest_due_seconds:.0f} s"
        except Exception as exc:
            verdicts["schema"] = f"unreadable ({type(exc).__name__})"
        if not self.sender_running():
            verdicts["sender"] = "not running"
        if self.bot is not None:
            verdicts["webhook"] = await self._webhook()
        return verdicts

    async def _webhook(self) -> str:
        checked_at, verdict = self._webhook_checked
        if verdict is not None and time.monotonic() - checked_at < WEBHOOK_INFO_TTL:
            return verdict
        assert self.bot is not None
        try:
            info = await self.bot.get_webhook_info()
        except Exception as exc:
            verdict = f"getWebhookInfo failed ({type(exc).__name__})"
        else:
            last = info.last_error_date
            recent = last is not None and self.clock.now() - last < WEBHOOK_ERROR_WINDOW
            verdict = f"Telegram reports: {info.last_error_message}" if recent else "ok"
        self._webhook_checked = (time.monotonic(), verdict)
        return verdict
