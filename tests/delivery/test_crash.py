"""A sender process killed mid-broadcast (SIGKILL) or stopped (SIGTERM), then a second one finishing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from storage.factory import Store
from tests.delivery.support import message, put, rows, wait_for
from tests.fakes.telegram_limits import FakeTelegram, Limits

ROOT = Path(__file__).resolve().parents[2]
ROWS = 300
WORKERS = 16
KILL_AFTER = 100
FAKE_SCALE = 12.0  # the fake at 12x Telegram's speed; the sender processes at 6x (see HEADROOM)
PROCESS_ARGS = ("--scale", "6", "--batch", "50", "--lease", "1.5", "--workers", str(WORKERS))


def _log(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


class Processes:
    """Sender subprocesses of one test; any still running at the end is killed."""

    def __init__(self, url: str, fake: FakeTelegram, folder: Path) -> None:
        self.url, self.fake, self.folder = url, fake, folder
        self.started: list[tuple[asyncio.subprocess.Process, Path]] = []

    async def spawn(self, name: str) -> asyncio.subprocess.Process:
        log = self.folder / f"{name}.log"
        fd = _log(log)
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *("-m", "tests.delivery.sender_process", self.url, self.fake.base_url),
                *("--worker-id", name, *PROCESS_ARGS),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=fd,
                stderr=fd,
                cwd=ROOT,
                env={**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"},
            )
        finally:
            os.close(fd)
        self.started.append((process, log))
        return process

    def output(self) -> str:
        return "\n".join(f"--- {log.name} ---\n{_read(log)[-3000:]}" for _, log in self.started)

    async def exit_code(self, process: asyncio.subprocess.Process, seconds: float) -> int:
        try:
            return await asyncio.wait_for(process.wait(), seconds)
        except TimeoutError:
            pytest.fail(f"the sender did not exit within {seconds} s\n{self.output()}")

    async def until(self, condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
        """Wait for `condition`; fail early (with the logs) if a sender process died meanwhile."""

        async def check() -> bool:
            for process, _ in self.started:
                if process.returncode not in (None, 0, -signal.SIGKILL):
                    pytest.fail(f"a sender exited with {process.returncode}\n{self.output()}")
            return await condition()

        try:
            await wait_for(check, seconds, what, interval=0.05)
        except AssertionError as exc:
            pytest.fail(f"{exc}\n{self.output()}")

    async def close(self) -> None:
        for process, _ in self.started:
            if process.returncode is None:
                process.kill()
                await process.wait()


@pytest.fixture
def fake(fake_factory: Callable[..., FakeTelegram]) -> FakeTelegram:
    return fake_factory(Limits(scale=FAKE_SCALE))


@pytest.fixture
async def processes(database_url: str, fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[Processes]:
    running = Processes(database_url, fake, tmp_path)
    yield running
    await running.close()


async def broadcast(store: Store, count: int = ROWS) -> list[int]:
    chats = [10_000 + i for i in range(count)]
    assert await put(store, [message(chat, f"crash-{chat}") for chat in chats]) == count
    return chats


async def all_sent(store: Store) -> bool:
    return {r.status for r in await rows(store)} == {"sent"}


async def finished(fake: FakeTelegram, store: Store, chats: list[int]) -> bool:
    """Every chat received the message (cheap: the fake's ledger) and no row is open (the store)."""
    return {d.chat_id for d in fake.deliveries} == set(chats) and await all_sent(store)


async def test_a_broadcast_survives_a_kill_and_a_graceful_restart(
    store: Store, fake: FakeTelegram, processes: Processes
) -> None:
    """First sender: kill -9 mid-broadcast. Second: takes over, then SIGTERM. Third: sends the rest."""
    chats = await broadcast(store)

    first = await processes.spawn("first")
    await processes.until(lambda: _delivered(fake, KILL_AFTER), 30, f"{KILL_AFTER} deliveries")
    first.kill()
    assert await processes.exit_code(first, 5) == -signal.SIGKILL
    at_kill = fake.counters.delivered

    second = await processes.spawn("second")
    await processes.until(lambda: _delivered(fake, 2 * KILL_AFTER), 30, f"{2 * KILL_AFTER} deliveries")
    started = time.monotonic()
    second.send_signal(signal.SIGTERM)
    assert await processes.exit_code(second, 5) == 0, processes.output()
    stopping = time.monotonic() - started

    stored = await rows(store)
    flagged = {r.chat_id for r in stored if r.maybe_duplicate}
    left = [r for r in stored if r.status != "sent"]
    received = Counter(d.chat_id for d in fake.deliveries)
    duplicated = {chat for chat, n in received.items() if n > 1}
    print(
        f"\nkill -9 after {at_kill} deliveries; SIGTERM: exit 0 in {stopping:.2f} s with "
        f"{len(left)} rows left; {len(duplicated)} duplicated, {len(flagged)} flagged maybe_duplicate"
    )
    # The kill: whatever was in flight may have gone twice, and only that is flagged.
    assert duplicated <= flagged, f"unflagged duplicates: {sorted(duplicated - flagged)}"
    assert len(flagged) <= WORKERS
    # The graceful stop: the messages in flight were finished, the rest handed back. Rows the killed
    # sender still holds under an unexpired lease stay "sending" until the lease runs out (then the next
    # process takes them); nothing the second sender held may be left so.
    assert left, "nothing was left for the next process"
    dead = [r for r in left if r.status == "sending"]
    assert all(r.claimed_by == "first" for r in dead), [(r.id, r.claimed_by) for r in dead]
    assert {r.status for r in left} - {"sending"} == {"queued"}
    assert not [r for r in stored if r.in_flight and r.claimed_by != "first"]
    dead_chats = {r.chat_id for r in dead}
    assert set(received) - dead_chats == {r.chat_id for r in stored if r.status == "sent"} - dead_chats

    third = await processes.spawn("third")
    await processes.until(lambda: finished(fake, store, chats), 40, "the third sender to finish")
    third.send_signal(signal.SIGTERM)
    assert await processes.exit_code(third, 5) == 0, processes.output()

    stored = await rows(store)
    after = Counter(d.chat_id for d in fake.deliveries)
    print(f"in all: {sum(after.values())} deliveries for {ROWS} rows; 429s {fake.counters.rejected_429}")
    assert set(after) == set(chats), "a recipient got nothing"
    # Rows in flight at the kill may go twice once their lease runs out; the ledger flags each of them.
    twice = {chat for chat, n in after.items() if n > 1}
    now_flagged = {r.chat_id for r in stored if r.maybe_duplicate}
    assert duplicated <= twice <= now_flagged, (sorted(twice), sorted(now_flagged))
    assert max(after.values()) <= 2
    assert len(now_flagged) <= WORKERS
    assert not [r for r in stored if r.status != "sent" or r.in_flight]


async def _delivered(fake: FakeTelegram, count: int) -> bool:
    return fake.counters.delivered >= count
