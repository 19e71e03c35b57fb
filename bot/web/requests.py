"""The Bot API connection with metrics: every request counted by method and status, 429 waits summed."""

from __future__ import annotations

import json

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import HTTPXRequest, RequestData

from bot.metrics import BOT_API_CALLS, FLOOD_WAIT_SECONDS


class CountedRequest(HTTPXRequest):
    """`HTTPXRequest` that counts what Telegram answered; the token in the URL is never kept."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make the request, then count it."""
        status, body = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        record_answer(url, status, body)
        return status, body


def record_answer(url: str, status: int, body: bytes) -> None:
    """Count one Bot API answer; a 429's retry_after is added to the waits."""
    api_method = url.rsplit("/", 1)[-1][:40]
    BOT_API_CALLS.labels(api_method, str(status)).inc()
    if status == 429:
        try:
            retry_after = json.loads(body).get("parameters", {}).get("retry_after", 0)
            FLOOD_WAIT_SECONDS.inc(float(retry_after))
        except (ValueError, AttributeError, TypeError):
            pass
