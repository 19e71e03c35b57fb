"""Several `emwp-bot run` processes: on PostgreSQL the sender and the sweeps run in exactly one of them and
move to another within the lease's length when it is killed; SQLite refuses a second process on its file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.fake_server import VALID_TOKEN, FakeBotApi
from tests.e2e.test_polling import STARTUP_TIMEOUT, BotProcess, Launcher

pytestmark = pytest.mark.e2e
RUNS_BACKGROUND = "runs the sender and the scheduled sweeps"
LEASE_SECONDS = 3


def wait_until(condition: object, timeout: float, what: str, bots: list[BotProcess]) -> float:
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what} within {timeout:.0f} s\n" + "\n".join(b.output() for b in bots))
        time.sleep(0.1)
    return time.monotonic() - started


def test_background_work_runs_once_and_fails_over_when_its_process_is_killed(
    fake_api: FakeBotApi, launch: Launcher, pg_database: str
) -> None:
    settings = {
        "TELEGRAM_BOT_TOKEN": VALID_TOKEN,
        "TELEGRAM_API_BASE_URL": fake_api.base_url,
        "DATABASE_URL": pg_database,
        "BACKGROUND_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    bots = [launch(**settings), launch(**settings)]
    wait_until(lambda: all("ready" in b.stderr for b in bots), STARTUP_TIMEOUT, "both processes ready", bots)
    time.sleep(LEASE_SECONDS)  # both had several looks at the lease
    holders = [b for b in bots if RUNS_BACKGROUND in b.stderr]
    assert len(holders) == 1, "\n".join(b.output() for b in bots)
    survivor = next(b for b in bots if b is not holders[0])

    holders[0].proc.kill()  # kill -9: no clean hand-over
    took = wait_until(lambda: RUNS_BACKGROUND in survivor.stderr, 4 * LEASE_SECONDS, "taken over", bots)
    assert took <= LEASE_SECONDS * 4 / 3 + 1
    assert survivor.proc.poll() is None


def test_sqlite_refuses_a_second_process_on_its_file(
    fake_api: FakeBotApi, launch: Launcher, tmp_path: Path
) -> None:
    settings = {"TELEGRAM_BOT_TOKEN": VALID_TOKEN, "TELEGRAM_API_BASE_URL": fake_api.base_url}
    first = launch(**settings)
    wait_until(lambda: "ready" in first.stderr, STARTUP_TIMEOUT, "the first process ready", [first])
    second = launch(**settings)
    assert second.wait_exit(STARTUP_TIMEOUT) == 2, second.output()
    assert "SQLite serves one process" in second.stderr
    assert f"pid {first.proc.pid}" in second.stderr
    assert first.proc.poll() is None
