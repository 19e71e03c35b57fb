"""/settings: language and time zone, by button or by typing an IANA zone name."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.languages import BOT_LANGUAGES
from bot.domain.model import Member
from bot.domain.timezones import COMMON_ZONES
from bot.services import preferences as service
from handlers.context import BotContext
from handlers.flow import END, guided
from handlers.keyboards import button, grid, keyboard, parts
from handlers.menu import set_member_menu
from handlers.respond import actor_of, guarded, reply, show
from handlers.texts import t

TYPING_ZONE = 0
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def panel(member: Member) -> tuple[str, InlineKeyboardMarkup | None]:
    """The settings card in the member's language, with a button per choice."""
    lang = member.language
    text = t(lang, "settings.card", language_name=LANGUAGE_NAMES[lang], zone=member.time_zone)
    languages = [
        button(("✓ " if code == lang else "") + LANGUAGE_NAMES[code], "set", "lang", code)
        for code in BOT_LANGUAGES
    ]
    zones = [button(("✓ " if z == member.time_zone else "") + z, "set", "tz", z) for z in COMMON_ZONES]
    return text, keyboard(
        languages, *grid(zones, 2), [button(t(lang, "settings.other_zone"), "set", "tzother", "-")]
    )


@guarded
async def settings_command(update: Update, context: BotContext) -> None:
    """Show the member's settings."""
    member = await service.my_settings(context.deps.uow, actor_of(update))
    await show(update, *panel(member))


@guarded
async def choose(update: Update, context: BotContext) -> None:
    """A language or zone button."""
    data = parts(update.callback_query.data if update.callback_query else None, "set", 2)
    if data is None or data[0] not in ("lang", "tz"):
        raise InvalidInput("error.stale")
    now = context.deps.clock.now()
    if data[0] == "lang":
        member = await service.set_language(context.deps.uow, actor_of(update), data[1], now)
        await set_member_menu(context.bot, member.telegram_user_id, member.role, member.language)
    else:
        member = await service.set_time_zone(context.deps.uow, actor_of(update), data[1], now)
    await show(update, *panel(member))


@guarded
async def ask_zone(update: Update, context: BotContext) -> int:
    """Ask for a zone name to type."""
    member = await service.my_settings(context.deps.uow, actor_of(update))
    await show(update, t(member.language, "settings.ask_zone"))
    return TYPING_ZONE


@guarded
async def got_zone(update: Update, context: BotContext) -> int:
    """Set the typed zone, or say what was expected and wait for another try."""
    assert update.message is not None and update.message.text is not None
    member = await service.set_time_zone(
        context.deps.uow, actor_of(update), update.message.text, context.deps.clock.now()
    )
    await reply(update, *panel(member))
    return END


def handlers() -> list[object]:
    """/settings, its buttons, and the typed-zone step."""
    typed = guided(
        "zone",
        entry_points=[CallbackQueryHandler(ask_zone, pattern="^set:tzother:")],
        states={
            TYPING_ZONE: [
                MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, got_zone)
            ]
        },
    )
    return [
        CommandHandler("settings", settings_command, filters=filters.ChatType.PRIVATE),
        typed,
        CallbackQueryHandler(choose, pattern="^set:(lang|tz):"),
    ]
