"""Helpers shared by the delivery tests: the fake, a real Bot on it, the outbox rows, bounded waits."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import select
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.clock import SystemClock
from bot.domain.outbox import OutboxKind, Outgoing, RetryPolicy
from bot.domain.rate import Limits
from bot.domain.reveals import Readers, Reveals
from bot.services.outbox import enqueue
from engines.sender import Sender, SenderConfig
from storage.factory import Store
from storage.models import OutboxRow
from tests.fakes.telegram_limits import FakeTelegram

TOKEN = "7000000001:delivery-test-token"
SCALE = 10.0  # the fake's time runs SCALE times faster than Telegram's
# Tests about something other than the rate run the sender at half the fake's speed, so that a 429
# caused by the sender's scheduling jitter (see test_sender.py::test_at_exactly_the_scaled_limits_...)
# cannot pause it for a whole second or reorder a chat's messages behind the test's back.
HEADROOM = 0.5
FAST_RETRY = RetryPolicy(base_seconds=0.05, max_seconds=0.3, max_attempts=8)
OPEN = ("queued", "sending")


def make_bot(base_url: str, *, read_timeout: float = 5.0, pool: int = 32) -> Bot:
    """PTB's real Bot with its real HTTPX transport, pointed at the fake."""
    request = HTTPXRequest(connection_pool_size=pool, read_timeout=read_timeout)
    return Bot(TOKEN, base_url=base_url, request=request)


def sender_config(scale: float = SCALE * HEADROOM, **overrides: Any) -> SenderConfig:
    """Limits scaled by `scale`, quick polling and quick retries; anything else as given."""
    values: dict[str, Any] = {
        "limits": Limits().scaled(scale),
        "workers": 16,
        "idle_poll_seconds": 0.05,
        "retry": FAST_RETRY,
    }
    values.update(overrides)
    return SenderConfig(**values)


def make_sender(bot: Bot, store: Store, config: SenderConfig, worker_id: str = "w1") -> Sender:
    return Sender(bot, store.uow, SystemClock(), config, worker_id=worker_id)


def message(
    chat_id: int,
    key: str,
    parts: Sequence[str] | None = None,
    **fields: Any,
) -> Outgoing:
    """One outbox message; its text (if not given) names its key, so deliveries map back to rows. It
    reveals nothing a read rule restricts: these tests are about the engine, not who may read what."""
    return Outgoing(
        chat_id=chat_id,
        kind=OutboxKind.NOTICE,
        dedupe_key=key,
        parts=tuple(parts) if parts is not None else (f"<b>notice</b> {key}",),
        **{"reveals": Reveals(readers=Readers.ANYONE), **fields},
    )


def rejection_report(fake: FakeTelegram, sender_gap: float) -> str:
    """Each 429: which limit, and for a chat limit how soon after the chat's previous delivery it came."""
    lines = []
    for r in fake.rejections:
        before = [d.at for d in fake.delivered_to(r.chat_id) if d.at < r.at]
        since = f"{(r.at - before[-1]) * 1000:.0f} ms after the previous one" if before else "first"
        lines.append(f"chat {r.chat_id}: {r.limit} limit, {since}")
    return f"sender's per-chat gap {sender_gap * 1000:.0f} ms; " + "; ".join(lines)


async def put(store: Store, messages: Sequence[Outgoing]) -> int:
    """Enqueue in one transaction, as the application does; returns how many were new."""
    async with store.uow() as uow:
        added = await enqueue(uow, messages, dt.datetime.now(dt.UTC))
        await uow.commit()
    return added


@dataclass(frozen=True)
class Row:
    id: int
    chat_id: int
    dedupe_key: str
    status: str
    attempts: int
    parts_sent: int
    maybe_duplicate: bool
    in_flight: bool
    claimed_by: str | None
    last_error: str | None
    message_ids: tuple[int, ...]


async def rows(store: Store) -> list[Row]:
    """Every outbox row, by id."""
    async with store.engine.connect() as connection:
        result = await connection.execute(select(OutboxRow).order_by(OutboxRow.id))
        return [
            Row(
                r.id,
                r.chat_id,
                r.dedupe_key,
                r.status,
                r.attempts,
                r.parts_sent,
                bool(r.maybe_duplicate),
                bool(r.in_flight),
                r.claimed_by,
                r.last_error,
                tuple((r.message_ids or {}).get("ids", [])),
            )
            for r in result
        ]


async def wait_for(
    condition: Callable[[], Awaitable[bool]], seconds: float, what: str, interval: float = 0.02
) -> None:
    """Poll `condition` until it holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.1f} s waiting for {what}")
        await asyncio.sleep(interval)


async def settled(store: Store) -> bool:
    """Nothing queued or being sent any more."""
    return not [r for r in await rows(store) if r.status in OPEN]


async def run_until_settled(sender: Sender, store: Store, seconds: float = 15.0) -> None:
    """Run the sender in the background until every row is sent, failed or skipped; then stop it."""
    sender.start()
    try:
        await wait_for(lambda: settled(store), seconds, "the outbox to settle")
    finally:
        await sender.stop(grace_seconds=5)


class TagBalance(HTMLParser):
    """Whether a piece of Telegram HTML opens and closes its tags properly."""

    VOID = frozenset({"br"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html_problems(part: str) -> list[str]:
    """What is wrong with the tags of one message ([] if balanced)."""
    parser = TagBalance()
    parser.feed(part)
    parser.close()
    problems = list(parser.problems)
    if parser.stack:
        problems.append(f"left open: {parser.stack}")
    if re.search(r"<[^>]*(<|$)", part):
        problems.append("a tag was cut")
    if re.search(r"&(?!#?[A-Za-z0-9]+;)", part):
        problems.append("an entity was cut")
    return problems


def html_text(part: str) -> str:
    """The text of a piece of HTML (tags dropped, entities decoded)."""
    parser = TagBalance()
    parser.feed(part)
    parser.close()
    return "".join(parser.text)
