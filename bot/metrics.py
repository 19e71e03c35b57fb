"""The process's Prometheus metrics: one registry, the metric families, and what reads the store at scrape
time. Served at /metrics by `bot.web`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter(
    "emwp_updates",
    "Updates handled, by command or button and outcome (ok, error).",
    ["action", "outcome"],
    registry=REGISTRY,
)
HANDLING_SECONDS = Histogram(
    "emwp_update_handling_seconds",
    "Time from an update's arrival in the application to the end of its handling.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
BOT_API_CALLS = Counter(
    "emwp_bot_api_requests",
    "Bot API requests by method and HTTP status (sends, edits, deletions, replies).",
    ["method", "status"],
    registry=REGISTRY,
)
FLOOD_WAIT_SECONDS = Counter(
    "emwp_bot_api_retry_after_seconds",
    "Seconds Telegram asked to wait in its 429 answers (retry_after), summed.",
    registry=REGISTRY,
)
OUTBOX_ROWS = Gauge(
    "emwp_outbox_rows",
    "Outbox rows by status, read from the store at scrape time.",
    ["status"],
    registry=REGISTRY,
)
OUTBOX_OLDEST_DUE = Gauge(
    "emwp_outbox_oldest_due_age_seconds",
    "How long the oldest queued row that is due has waited (0 when none is due).",
    registry=REGISTRY,
)
SWEEP_SECONDS = Histogram(
    "emwp_sweep_seconds",
    "Durations of the scheduled sweeps (digests, reminders, retention).",
    ["sweep"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
    registry=REGISTRY,
)
WEBHOOK_REQUESTS = Counter(
    "emwp_webhook_requests",
    "Webhook requests by answer (ok, forbidden, bad_request).",
    ["answer"],
    registry=REGISTRY,
)
BACKGROUND_HOLDER = Gauge(
    "emwp_background_holder",
    "1 while this process holds the lease of the background work (sender and sweeps), else 0.",
    registry=REGISTRY,
)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
