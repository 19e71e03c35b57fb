"""Fixtures for the delivery tests: the limit-enforcing fake Bot API, started per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from telegram import Bot

from tests.delivery.support import SCALE, make_bot
from tests.fakes.telegram_limits import FakeTelegram, Limits


@pytest.fixture
def fake_factory() -> Iterator[Callable[..., FakeTelegram]]:
    """Start fakes (limits scaled by SCALE unless `limits` is given); all are stopped afterwards."""
    started: list[FakeTelegram] = []

    def start(limits: Limits | None = None, **options: Any) -> FakeTelegram:
        fake = FakeTelegram(limits or Limits(scale=SCALE), **options).start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()


@pytest.fixture
def fake(fake_factory: Callable[..., FakeTelegram]) -> FakeTelegram:
    """A fake at Telegram's limits, SCALE times faster, with no failures injected."""
    return fake_factory()


@pytest.fixture
async def bots() -> AsyncIterator[Callable[..., Any]]:
    """Open real PTB Bots (getMe over loopback) on a fake; all are shut down afterwards."""
    async with AsyncExitStack() as stack:

        async def open_bot(fake: FakeTelegram, **options: Any) -> Bot:
            return await stack.enter_async_context(make_bot(fake.base_url, **options))

        yield open_bot
