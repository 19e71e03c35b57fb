"""The bot under test: the real Application, real store, Bot API faked at the BaseRequest seam."""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import Update

from bot.app import BotApplication, build_application
from bot.console.botapi import ApiCall, InProcessBotApi
from bot.console.updates import Identity, UpdateFactory
from bot.domain.rate import Limits
from bot.settings import Settings
from engines.composer import MessageComposer
from engines.sender import Sender, SenderConfig
from handlers.context import DEPS_KEY, BotContext
from storage.factory import Store

TEST_TOKEN = "7000000001:test-token"
# The clock of a test stands still, so budgets would never refill: tests whose subject is not the abuse
# limits get budgets no test exhausts; those that test them pass the production settings.
ROOMY = {"expensive_burst": 100_000, "group_expensive_burst": 100_000}


class FixedClock:
    """A clock the test sets; never the wall clock."""

    def __init__(self, now: dt.datetime) -> None:
        self.current = now

    def now(self) -> dt.datetime:
        """The time the test set."""
        return self.current


class BotHarness:
    """Drives real updates through `process_update` and collects what the bot sent."""

    def __init__(self, store: Store, clock: FixedClock, settings: Settings | None = None) -> None:
        self.store = store
        self.clock = clock
        self.api = InProcessBotApi()
        self.app: BotApplication = build_application(
            settings or Settings(_env_file=None, **ROOMY),  # type: ignore[call-arg]
            store,
            request=self.api,
            clock=clock,
            token=TEST_TOKEN,
            deliver=False,  # the harness drains the outbox itself after each update, see `process`
        )
        self.updates = UpdateFactory(self.app.bot)
        self.errors: list[BaseException] = []
        # After each update the outbox is drained, as a running bot would soon do; a test that must act
        # while messages are still queued turns this off and calls `deliver` itself.
        self.autodeliver = True
        self.app.add_error_handler(self._collect)

    async def _collect(self, _update: object, context: BotContext) -> None:
        if context.error is not None:
            self.errors.append(context.error)

    async def start(self) -> None:
        """Initialise the application (getMe, menus) as `run` and `console` do."""
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.start()  # the JobQueue runs, so flows schedule their timeouts as in production

    async def stop(self) -> None:
        """Stop and shut the application down."""
        await self.app.stop()
        await self.app.shutdown()

    async def send(self, who: Identity, text: str) -> list[ApiCall]:
        """Process a text message from `who`; return the Bot API calls it caused."""
        return await self.process(self.updates.message(who, text))

    async def press(self, who: Identity, message: dict[str, Any], data: str) -> list[ApiCall]:
        """Press an inline button carrying `data` on `message`."""
        return await self.process(self.updates.callback(who, message, data))

    async def process(self, update: Update) -> list[ApiCall]:
        """Run one update through the real application, then deliver what it queued; return the calls."""
        before = len(self.api.calls)
        await self.app.process_update(update)
        await self.app.bot_data[DEPS_KEY].lane.drain()  # expensive requests answer from their own lane
        if self.autodeliver:
            await self.deliver()
        return self.api.calls[before:]

    async def deliver(self, limit: int | None = None) -> None:
        """Send what is due in the outbox (at most `limit` rows) with the real sender, as the bot runs it
        (limits scaled up: no waiting)."""
        config = SenderConfig(limits=Limits().scaled(1000), workers=4)
        composer = MessageComposer(self.store.uow)
        sender = Sender(self.app.bot, self.store.uow, self.clock, config, worker_id="test", composer=composer)
        await sender.drain(limit)

    @staticmethod
    def texts(calls: list[ApiCall]) -> list[str]:
        """The texts of the messages sent or edited by these calls."""
        return [str(c.params["text"]) for c in calls if c.method in ("sendMessage", "editMessageText")]
