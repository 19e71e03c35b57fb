"""The commands this build serves, and the command menus set per role."""

from __future__ import annotations

from collections.abc import Iterable

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeDefault
from telegram.ext import ExtBot

from bot.domain.access import commands_for
from handlers.texts import t

# The commands with a handler in `handlers.register`; help and menus list no others.
SERVED_COMMANDS: frozenset[str] = frozenset({"start", "help", "cancel"})
GROUP_COMMANDS: tuple[str, ...] = ("help",)


def available_commands(permitted: Iterable[str]) -> list[str]:
    """The permitted commands that this build serves, in menu order."""
    return [c for c in permitted if c in SERVED_COMMANDS]


def bot_commands(commands: Iterable[str], language: str) -> list[BotCommand]:
    """Menu entries with their descriptions in `language`."""
    return [BotCommand(c, t(language, f"command.{c}")) for c in commands]


async def set_default_menus(bot: ExtBot[None]) -> None:
    """The guest menu everywhere by default, in English and French; groups get /help only."""
    guest = available_commands(commands_for(None))
    for language in ("en", "fr"):
        code = None if language == "en" else language
        await bot.set_my_commands(
            bot_commands(guest, language), scope=BotCommandScopeDefault(), language_code=code
        )
        await bot.set_my_commands(
            bot_commands(GROUP_COMMANDS, language), scope=BotCommandScopeAllGroupChats(), language_code=code
        )
