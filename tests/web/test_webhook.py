"""Webhook mode: Telegram's POSTs over real loopback HTTP into the real application; the secret header is
required and an update is answered only once handled."""

from __future__ import annotations

import json

from bot.console.updates import Identity
from bot.web.observe import allowed_updates
from bot.web.server import SECRET_HEADER, operations_app
from tests.harness import BotHarness
from tests.web.serving import PATH, SECRET, readiness, served

GUEST = Identity(user_id=5551, first_name="Ana")


def _help_update(bot: BotHarness) -> bytes:
    return json.dumps(bot.updates.message(GUEST, "/help").to_dict()).encode()


async def test_a_request_without_the_right_secret_is_refused_and_not_handled(bot: BotHarness) -> None:
    asgi = operations_app(bot.app, readiness(bot.store, bot.clock), webhook_path=PATH, secret=SECRET)
    async with served(asgi) as client:
        missing = await client.post(PATH, content=_help_update(bot))
        wrong = await client.post(PATH, content=_help_update(bot), headers={SECRET_HEADER: SECRET[:-1] + "x"})
        empty = await client.post(PATH, content=_help_update(bot), headers={SECRET_HEADER: ""})
    assert (missing.status_code, wrong.status_code, empty.status_code) == (403, 403, 403)
    assert bot.api.sent() == []


async def test_an_update_is_acknowledged_once_answered(bot: BotHarness) -> None:
    asgi = operations_app(bot.app, readiness(bot.store, bot.clock), webhook_path=PATH, secret=SECRET)
    async with served(asgi) as client:
        response = await client.post(PATH, content=_help_update(bot), headers={SECRET_HEADER: SECRET})
        # When the 200 arrives, the reply has already been sent: Telegram retries anything unanswered.
        replies = bot.api.sent(chat_id=GUEST.user_id)
        malformed = await client.post(PATH, content=b"{not json", headers={SECRET_HEADER: SECRET})
        not_there = await client.post("/other", content=_help_update(bot), headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200
    assert len(replies) == 1 and "/start" in replies[0].params["text"]
    assert malformed.status_code == 400
    assert not_there.status_code == 404


async def test_without_a_secret_there_is_no_webhook_route(bot: BotHarness) -> None:
    async with served(operations_app(bot.app, readiness(bot.store, bot.clock))) as client:
        response = await client.post(PATH, content=_help_update(bot), headers={SECRET_HEADER: SECRET})
    assert response.status_code == 404


async def test_allowed_updates_are_what_the_handlers_take(bot: BotHarness) -> None:
    assert allowed_updates(bot.app) == ["callback_query", "message", "my_chat_member"]
