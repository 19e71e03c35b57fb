"""The operations server of a test: the real Starlette app under a real uvicorn on a loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import httpx
import uvicorn
from starlette.applications import Starlette

from bot.web.readiness import Readiness
from bot.web.serve import Server
from storage.factory import Store
from tests.harness import FixedClock

SECRET = "s3cret-of-the-webhook_0123456789"
PATH = "/telegram/hook"


@contextlib.asynccontextmanager
async def served(asgi: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """Serve `asgi` on 127.0.0.1 (a free port) and give a client of it."""
    config = uvicorn.Config(asgi, host="127.0.0.1", port=0, lifespan="off", log_config=None)
    server = Server(config, signals=False)  # the test runner keeps its signals
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        await task


def readiness(store: Store, clock: FixedClock, sender: bool = True) -> Readiness:
    """Checks of a process whose sender runs (or not)."""
    return Readiness(store, clock, lambda: sender, dt.timedelta(minutes=5))
