"""The composition root: builds the one `Application` with its handlers, store and clock."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

import handlers
from bot.background import BackgroundLease, TimedJobQueue, start_background, stop_background, wake_sender
from bot.clock import Clock, SystemClock
from bot.flow_persistence import StorePersistence, follow_other_processes
from bot.services.budgets import BudgetRule, RequestBudgets
from bot.settings import Settings
from bot.update_order import ChatOrder
from bot.web.observe import ObservedApplication
from bot.web.requests import CountedRequest
from engines.sender import SenderConfig
from handlers.context import DEPS_KEY, BotContext, Deps, Lane
from handlers.menu import set_default_menus
from handlers.statement import load_statements
from storage.factory import Store
from storage.flow_states import FlowStates
from storage.leases import Leases

log = logging.getLogger(__name__)

BotApplication = Application[Any, BotContext, Any, Any, Any, Any]


class StoreApplication(ObservedApplication):
    """The application, each update handled in the store's update scope: the read-only units of work of
    one update (the member, the use case, the names it is rendered with) share one session; each update
    leaves one log line and its metrics (`ObservedApplication`)."""

    async def process_update(self, update: object) -> None:
        store = self.bot_data.get("store")
        if not isinstance(store, Store):
            await super().process_update(update)
            return
        async with store.uow.update_scope():
            await super().process_update(update)


def build_application(
    settings: Settings,
    store: Store,
    *,
    request: BaseRequest | None = None,
    clock: Clock | None = None,
    token: str | None = None,
    sender: SenderConfig | None = None,
    deliver: bool = True,
) -> BotApplication:
    """Wire everything; with `request` given the Bot API is served in-process (console, tests)."""
    secret = token or (
        settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
    )
    if not secret:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        ApplicationBuilder()
        .application_class(StoreApplication)
        .concurrent_updates(ChatOrder())
        .token(secret)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .context_types(ContextTypes(context=BotContext))
        .defaults(Defaults(tzinfo=ZoneInfo(settings.tz)))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .job_queue(TimedJobQueue())  # the sweeps' durations
        .persistence(  # the flows' steps; PostgreSQL: other processes may move them on
            StorePersistence(
                FlowStates(store.engine), (clock or SystemClock()).now, shared=settings.flows_across_processes
            )
        )
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        builder = builder.request(CountedRequest(connection_pool_size=8))
    app: BotApplication = builder.build()
    policy = settings.retention_policy()
    app.bot_data[DEPS_KEY] = Deps(
        uow=store.uow,
        clock=clock or SystemClock(),
        privacy=load_statements(settings.privacy_file, policy),
        retention=policy,
        retention_at=settings.retention_at,
        budgets=RequestBudgets(
            BudgetRule(settings.expensive_per_minute, settings.expensive_burst),
            BudgetRule(settings.group_expensive_per_minute, settings.group_expensive_burst),
        ),
        search_time_limit=dt.timedelta(milliseconds=settings.search_time_limit_ms),
        # Other chats go on while a chat's expensive request runs (`ChatOrder`); the lane runs it in the
        # update, so the chat's next update comes after its answer.
        lane=Lane(beside=False),
    )
    app.bot_data["store"] = store
    app.bot_data["lease_seconds"] = settings.background_lease_seconds
    shared = store.backend == "postgresql"  # several processes may share one outbox and one token
    app.bot_data["deliver"] = (sender or SenderConfig(shared_budget=shared)) if deliver else None
    handlers.register(app)
    follow_other_processes(app)
    return app


async def _post_init(app: BotApplication) -> None:
    await set_default_menus(app.bot)
    config = app.bot_data.get("deliver")
    if isinstance(config, SenderConfig):
        # The sender and the scheduled sweeps run in the one process holding the background lease.
        deps: Deps = app.bot_data[DEPS_KEY]
        store: Store = app.bot_data["store"]
        deps.outbox.attach(lambda: wake_sender(app))
        lease = BackgroundLease(
            Leases(store.engine),
            deps.clock,
            start=lambda: start_background(app, config),
            stop=lambda: stop_background(app),
            ttl=dt.timedelta(seconds=app.bot_data["lease_seconds"]),
        )
        app.bot_data["background"] = lease
        await lease.begin()
    log.info("bot @%s ready", app.bot.username)


async def _post_stop(app: BotApplication) -> None:
    lease = app.bot_data.pop("background", None)
    if isinstance(lease, BackgroundLease):
        await lease.end()  # the message in flight is finished; the rest stays queued for the next holder


async def _post_shutdown(app: BotApplication) -> None:
    store = app.bot_data.get("store")
    if isinstance(store, Store):
        await store.dispose()
