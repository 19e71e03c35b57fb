"""The ASGI application (Starlette): the webhook Telegram posts updates to, and the operations endpoints
/healthz, /readyz and /metrics. Served by uvicorn (`bot.web.serve`), as in PTB's custom-webhook example."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.metrics import OUTBOX_OLDEST_DUE, OUTBOX_ROWS, WEBHOOK_REQUESTS, exposition
from bot.web.readiness import Readiness
from storage.health import outbox_gauges

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - the header's name
MAX_UPDATE_BYTES = 1 << 20  # an update is a few kilobytes; anything this big is not from Telegram


def operations_app(
    application: Application[Any, Any, Any, Any, Any, Any],
    readiness: Readiness,
    *,
    webhook_path: str | None = None,
    secret: str | None = None,
) -> Starlette:
    """/healthz, /readyz, /metrics; with `webhook_path` and `secret`, the webhook too."""

    async def healthz(_: Request) -> Response:
        """The process is alive and its event loop answers."""
        return PlainTextResponse("ok\n")

    async def readyz(_: Request) -> Response:
        """Ready for traffic: every check passes (503 naming those that do not)."""
        verdicts = await readiness.check()
        ready = all(v == "ok" for v in verdicts.values())
        return JSONResponse({"ready": ready, "checks": verdicts}, status_code=200 if ready else 503)

    async def metrics(_: Request) -> Response:
        """Prometheus's text format; the outbox gauges are read from the store now."""
        try:
            gauges = await outbox_gauges(readiness.store.engine, readiness.clock.now())
        except Exception:
            log.warning("outbox gauges unavailable: the store did not answer")
        else:
            OUTBOX_ROWS.clear()
            for status, count in gauges.by_status.items():
                OUTBOX_ROWS.labels(status).set(count)
            OUTBOX_OLDEST_DUE.set(gauges.oldest_due_seconds)
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    async def webhook(request: Request) -> Response:
        """An update from Telegram: answered 200 only once handled, so a crash makes Telegram retry."""
        assert secret is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            WEBHOOK_REQUESTS.labels("forbidden").inc()
            return Response(status_code=403)
        body = await request.body()
        try:
            if len(body) > MAX_UPDATE_BYTES:
                raise ValueError("too large")
            update = Update.de_json(json.loads(body), application.bot)
        except (ValueError, TypeError, KeyError):
            WEBHOOK_REQUESTS.labels("bad_request").inc()
            return Response(status_code=400)
        # Through the application's update processor, as its own queue would (its concurrency holds).
        await application.update_processor.process_update(update, application.process_update(update))
        WEBHOOK_REQUESTS.labels("ok").inc()
        return Response(status_code=200)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    if webhook_path is not None and secret is not None:
        routes.append(Route(webhook_path, webhook, methods=["POST"]))
    return Starlette(routes=routes)
