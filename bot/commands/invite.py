"""`emwp-bot invite`: an invitation from the command line, which is how the first admin gets in."""

from __future__ import annotations

import sys

from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot.clock import SystemClock
from bot.commands.common import prepare_store
from bot.domain.errors import DomainError
from bot.domain.invites import deep_link
from bot.domain.vocab import Role
from bot.services.invites import create_invite
from bot.settings import Settings
from storage.factory import open_store

EXIT_CONFIG = 2
EXIT_TELEGRAM = 3


async def print_invite(
    settings: Settings, role: str, delegation: str, uses: int, days: int, bot_username: str | None
) -> int:
    """Store the invitation and print its deep link; say clearly what is wrong otherwise."""
    username = bot_username.lstrip("@") if bot_username else await _ask_username(settings)
    if username is None:
        return EXIT_TELEGRAM if settings.telegram_bot_token else EXIT_CONFIG
    store = open_store(settings.resolved_database_url())
    try:
        await prepare_store(store)  # a fresh install: schema and seed, so that the delegations exist
        created = await create_invite(
            store.uow, None, Role(role), delegation, uses, days, SystemClock().now()
        )
    except DomainError as error:
        print(_explain(error), file=sys.stderr)
        return EXIT_CONFIG
    finally:
        await store.dispose()
    invite = created.invite
    what = f"{invite.role.value} of {invite.delegation_code}, {invite.max_uses} use(s)"
    until = f"{invite.expires_at:%Y-%m-%d %H:%M} UTC"
    print(f"Invitation #{invite.id}: {what}, valid until {until}. Shown only once:")
    print(deep_link(username, created.token))
    return 0


async def _ask_username(settings: Settings) -> str | None:
    if settings.telegram_bot_token is None:
        print(
            "Give --bot-username, or set TELEGRAM_BOT_TOKEN so that Telegram can tell the bot's username.",
            file=sys.stderr,
        )
        return None
    try:
        async with Bot(
            settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_base_url
        ) as bot:
            return bot.username
    except InvalidToken:
        print("Telegram rejected TELEGRAM_BOT_TOKEN; or give --bot-username.", file=sys.stderr)
    except NetworkError as exc:
        print(f"Cannot reach the Bot API ({exc}); give --bot-username to work offline.", file=sys.stderr)
    return None


def _explain(error: DomainError) -> str:
    if error.message_id == "invite.unknown_delegation":
        return f"There is no delegation {error.values.get('code')}: run `emwp-bot seed` or check the code."
    if error.message_id == "invite.bad_limits":
        return f"--uses must be 1 to {error.values['max_uses']} and --days 1 to {error.values['max_days']}."
    return f"Cannot create the invitation ({error.message_id})."
