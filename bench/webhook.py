"""Webhook mode in one process: simulated users posting mixed updates to the real webhook over loopback HTTP.

What is measured: the REAL application (`bot.app.build_application`, in-process Bot API, no outbox sender)
behind the REAL ASGI app (`bot.web.server.operations_app`: secret header checked, the update handled before
the 200) under uvicorn on 127.0.0.1; `--users` users (guests and the demo members) each post their share of
`--updates` updates (`/help`, `/start`, free text, `/search migration` for members) one after the other, as
Telegram does for one chat, all users at once. Reported: updates/s over the whole run, median and p95 of the
POST round trip (which includes handling, since the answer waits for it), answers other than 200 (lost
updates: Telegram would deliver them again), and replies out of order within a chat. No time is asserted.

    python -m bench.webhook [--users N] [--updates N] [--database URL]

Not measured here: several processes behind a round-robin, and a process killed mid-run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import AsyncIterator, Sequence

import httpx
import uvicorn

from bench import stats
from bench.help_throughput import TOKEN, fresh_database, prepared_store
from bot.app import build_application
from bot.console.botapi import InProcessBotApi
from bot.console.updates import Identity, UpdateFactory
from bot.services.demo import DEMO_PEOPLE
from bot.settings import load_settings
from bot.web.serve import Server, readiness_of
from bot.web.server import SECRET_HEADER, operations_app

SECRET = "bench-webhook-secret-0123456789"  # noqa: S105 - a loopback benchmark's own
PATH = "/telegram/bench"
MEMBER_TEXTS = ("/help", "/search migration", "hello", "/start")
GUEST_TEXTS = ("/help", "/start", "hello")


@contextlib.asynccontextmanager
async def serving(asgi: object) -> AsyncIterator[str]:
    """Serve `asgi` on a free loopback port; its base URL."""
    config = uvicorn.Config(asgi, host="127.0.0.1", port=0, lifespan="off", log_config=None)  # type: ignore[arg-type]
    server = Server(config, signals=False)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn only sets a flag
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def user_session(
    client: httpx.AsyncClient, factory: UpdateFactory, who: Identity, texts: Sequence[str], count: int
) -> tuple[list[float], int]:
    """Post `count` updates of this user one after the other; their round trips and the non-200 answers."""
    times, failed = [], 0
    for index in range(count):
        body = json.dumps(factory.message(who, texts[index % len(texts)]).to_dict())
        started = time.perf_counter()
        answer = await client.post(PATH, content=body, headers={SECRET_HEADER: SECRET})
        times.append(time.perf_counter() - started)
        failed += answer.status_code != 200
    return times, failed


async def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.webhook", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--database", help="postgresql:// or sqlite:// URL (default: temporary SQLite)")
    args = parser.parse_args(argv)
    async with fresh_database(args.database) as url, prepared_store(url) as store:
        api = InProcessBotApi()
        settings = load_settings(expensive_burst=100_000, group_expensive_burst=100_000)
        app = build_application(settings, store, request=api, token=TOKEN, deliver=False)
        factory = UpdateFactory(app.bot)
        members = [Identity(p.telegram_user_id, p.name) for p in DEMO_PEOPLE if p.role is not None]
        users = [*members, *(Identity(5_000_000 + i, f"Guest {i}") for i in range(args.users - len(members)))]
        share = max(1, args.updates // len(users))
        asgi = operations_app(
            app, readiness_of(app, store, settings, webhook=False), webhook_path=PATH, secret=SECRET
        )
        async with app, serving(asgi) as base:
            await app.start()  # as webhook mode does: tasks of the lane are the running application's
            limits = httpx.Limits(max_connections=len(users))
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
                started = time.perf_counter()
                results = await asyncio.gather(
                    *(
                        user_session(
                            client, factory, who, MEMBER_TEXTS if who in members else GUEST_TEXTS, share
                        )
                        for who in users
                    )
                )
                elapsed = time.perf_counter() - started
            await app.stop()  # waits for the searches still in their lane
        times = sorted(t for session, _ in results for t in session)
        failed = sum(f for _, f in results)
        p95 = stats.p95(times)
        print(f"webhook, one process, {store.backend}: {len(users)} users, {len(times)} updates")
        median = statistics.median(times) * 1000
        rate = len(times) / elapsed
        print(f"  {rate:.0f} updates/s; round trip median {median:.1f} ms, p95 {p95 * 1000:.1f} ms")
        print(f"  answers other than 200: {failed}; replies sent: {len(api.sent())}")


if __name__ == "__main__":
    asyncio.run(main())
