"""/healthz, /readyz and /metrics over real loopback HTTP: metrics parse with Prometheus's own parser,
readiness follows the store going down and coming back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from bot.console.updates import Identity
from bot.metrics import REGISTRY
from bot.web.server import SECRET_HEADER, operations_app
from storage.factory import Store
from tests.databases import PG_ADMIN_DSN
from tests.harness import BotHarness
from tests.web.serving import PATH, SECRET, readiness, served

GUEST = Identity(user_id=5552, first_name="Bo")


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_parse_and_count_updates_by_command(bot: BotHarness) -> None:
    asgi = operations_app(bot.app, readiness(bot.store, bot.clock), webhook_path=PATH, secret=SECRET)
    async with served(asgi) as client:
        before = _samples((await client.get("/metrics")).text)
        update = json.dumps(bot.updates.message(GUEST, "/help").to_dict())
        assert (await client.post(PATH, content=update, headers={SECRET_HEADER: SECRET})).status_code == 200
        response = await client.get("/metrics")
    after = _samples(response.text)
    assert response.headers["content-type"].startswith("text/plain")
    key = ("emwp_updates_total", (("action", "/help"), ("outcome", "ok")))
    assert after[key] == before.get(key, 0.0) + 1
    count = ("emwp_update_handling_seconds_count", ())
    assert after[count] == before.get(count, 0.0) + 1
    assert ("emwp_outbox_oldest_due_age_seconds", ()) in after
    assert ("emwp_webhook_requests_total", (("answer", "ok"),)) in after


async def test_healthz_answers_while_readyz_names_what_is_wrong(bot: BotHarness) -> None:
    async with served(operations_app(bot.app, readiness(bot.store, bot.clock, sender=False))) as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"]["sender"] == "not running"
    assert ready.json()["checks"]["store"] == "ok"


async def test_readyz_is_unready_while_the_store_is_down_and_ready_after(
    store: Store, bot: BotHarness
) -> None:
    async with served(operations_app(bot.app, readiness(store, bot.clock))) as client:
        assert (await client.get("/readyz")).status_code == 200
        async with _store_down(store):
            down = await client.get("/readyz")
        up = await _ready_again(client)
    assert down.status_code == 503
    assert down.json()["checks"]["store"].startswith("unreachable")
    assert up == 200


async def _ready_again(client: object) -> int:
    """A pooled connection the outage broke may fail one check; the next ones use fresh ones."""
    status = 0
    for _ in range(5):
        status = (await client.get("/readyz")).status_code  # type: ignore[attr-defined]
        if status == 200:
            break
        await asyncio.sleep(0.1)
    return status


class _store_down:
    """The database becomes unreachable: PostgreSQL refuses connections to it (and drops the open ones);
    SQLite's file is moved away and a directory stands in its place."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.url = store.engine.url

    async def __aenter__(self) -> None:
        if self.store.backend == "sqlite":
            path = Path(str(self.url.database))
            path.rename(path.with_suffix(".away"))  # noqa: ASYNC240 - a test's instant outage
            path.mkdir()  # noqa: ASYNC240
        else:
            await _admin(
                f'ALTER DATABASE "{self.url.database}" WITH ALLOW_CONNECTIONS false',
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "  # noqa: S608
                f"'{self.url.database}'",
            )
        await self.store.engine.dispose()  # the process's pooled connections are gone with the outage

    async def __aexit__(self, *_: object) -> None:
        if self.store.backend == "sqlite":
            path = Path(str(self.url.database))
            path.rmdir()  # noqa: ASYNC240
            path.with_suffix(".away").rename(path)
        else:
            await _admin(f'ALTER DATABASE "{self.url.database}" WITH ALLOW_CONNECTIONS true')


async def _admin(*statements: str) -> None:
    connection = await asyncpg.connect(str(make_url(PG_ADMIN_DSN).set(drivername="postgresql")))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def test_sweep_durations_are_observed_by_the_job_queue(bot: BotHarness) -> None:
    def count() -> float:
        return REGISTRY.get_sample_value("emwp_sweep_seconds_count", {"sweep": "digest"}) or 0.0

    before = count()
    ran = asyncio.Event()

    async def sweep(_: object) -> None:
        ran.set()

    assert bot.app.job_queue is not None
    bot.app.job_queue.run_once(sweep, when=0, name="digest:probe")
    bot.app.job_queue.run_once(sweep, when=0, name="flow-timeout")  # not a sweep: not observed
    await asyncio.wait_for(ran.wait(), 10)
    for _ in range(50):  # observed when the job's callback returns, right after it set the event
        if count() > before:
            break
        await asyncio.sleep(0)
    assert count() == before + 1
