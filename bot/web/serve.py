"""Running the bot behind its own HTTP server: webhook mode (the application driven by Telegram's POSTs,
PTB's custom-webhook pattern under uvicorn) and, in polling mode, the operations port beside the poller."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from telegram.ext import Application

from bot.background import BackgroundLease
from bot.settings import Settings
from bot.web.observe import allowed_updates
from bot.web.readiness import Readiness
from bot.web.server import operations_app
from handlers.context import DEPS_KEY, Deps
from storage.factory import Store

log = logging.getLogger(__name__)
App = Application[Any, Any, Any, Any, Any, Any]
GRACE_SECONDS = 30  # on SIGTERM: requests in hand are answered (their updates handled) within this


def readiness_of(app: App, store: Store, settings: Settings, *, webhook: bool) -> Readiness:
    """The readiness checks of this application."""
    deps: Deps = app.bot_data[DEPS_KEY]

    def sender_running() -> bool:
        """Here, or (several processes) in the one holding the background lease."""
        running = bool(getattr(app.bot_data.get("sender"), "running", False))
        lease = app.bot_data.get("background")
        return lease.healthy(running) if isinstance(lease, BackgroundLease) else running

    return Readiness(
        store=store,
        clock=deps.clock,
        sender_running=sender_running,
        lag_threshold=dt.timedelta(seconds=settings.ready_outbox_lag_seconds),
        bot=app.bot if webhook else None,
    )


def webhook_path(settings: Settings) -> str:
    """The path Telegram posts to: WEBHOOK_URL's (the reverse proxy passes it on unchanged)."""
    return urlsplit(str(settings.webhook_url)).path or "/"


async def serve_webhook(app: App, store: Store, settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM: set the webhook once listening; answer each update once handled."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    asgi = operations_app(
        app,
        readiness_of(app, store, settings, webhook=True),
        webhook_path=webhook_path(settings),
        secret=secret,
    )
    server = Server(_config(asgi, settings.webhook_listen, settings.webhook_port, settings), signals=True)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        serving = asyncio.create_task(server.serve(), name="webhook-server")
        while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn sets a flag only
            await asyncio.sleep(0.05)
        if server.started:
            await app.bot.set_webhook(
                str(settings.webhook_url),
                secret_token=secret,
                allowed_updates=allowed_updates(app),
                drop_pending_updates=False,
            )
            log.info("webhook set; listening on %s:%s", settings.webhook_listen, settings.webhook_port)
        await serving  # returns after a signal, once the requests in hand were answered
    finally:
        if app.running:
            await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


class Server(uvicorn.Server):
    """A uvicorn server whose SIGINT and SIGTERM end its serving and nothing more (uvicorn would raise
    the signal again once done, killing the process before the application stopped); without `signals`
    it leaves them to the application beside it (polling mode: PTB's run_polling handles them)."""

    def __init__(self, config: uvicorn.Config, *, signals: bool) -> None:
        super().__init__(config)
        self._signals = signals

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Stop serving on SIGINT or SIGTERM (webhook mode)."""
        if not self._signals:
            yield
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._exit)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    def _exit(self) -> None:
        self.should_exit = True


def serve_operations_beside_polling(app: App, store: Store, settings: Settings) -> None:
    """OPS_PORT in polling mode: /healthz, /readyz and /metrics on their own port, started after the
    application's own start-up and stopped with it."""
    assert settings.ops_port is not None
    asgi = operations_app(app, readiness_of(app, store, settings, webhook=False))
    server = Server(_config(asgi, settings.webhook_listen, settings.ops_port, settings), signals=False)
    started, stopped = app.post_init, app.post_stop
    tasks: list[asyncio.Task[None]] = []

    async def post_init(application: App) -> None:
        if started is not None:
            await started(application)
        tasks.append(asyncio.create_task(server.serve(), name="operations-server"))

    async def post_stop(application: App) -> None:
        server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        if stopped is not None:
            await stopped(application)

    app.post_init, app.post_stop = post_init, post_stop


def _config(asgi: Starlette, host: str, port: int, settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        asgi,
        host=host,
        port=port,
        proxy_headers=True,  # behind the reverse proxy: the client's address from X-Forwarded-For
        forwarded_allow_ips=settings.forwarded_allow_ips,
        lifespan="off",
        access_log=False,  # one line per update is logged by the application, without the secret path
        log_config=None,  # our logging configuration (redaction, JSON) applies to uvicorn's lines too
        timeout_graceful_shutdown=GRACE_SECONDS,
    )
