"""/settings: language and time zone, by button or by typing an IANA zone name."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.languages import BOT_LANGUAGES
from bot.domain.model import Member
from bot.domain.timezones import COMMON_ZONES
from bot.services import preferences as service
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.flow import END, guided
from handlers.jobs import schedule
from handlers.keyboards import button, grid, keyboard
from handlers.menu import set_member_menu
from handlers.respond import actor_of, guarded, reply, show
from handlers.texts import t

TYPING_ZONE = 0
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


@dataclass(frozen=True)
class ChooseLanguage(CallbackData, prefix="set:lang"):
    """A language button."""

    language: str


@dataclass(frozen=True)
class ChooseZone(CallbackData, prefix="set:tz"):
    """A common time zone's button."""

    zone: str


@dataclass(frozen=True)
class OtherZone(CallbackData, prefix="set:tzother"):
    """'Another time zone…': asks for its name."""


def panel(member: Member) -> tuple[str, InlineKeyboardMarkup | None]:
    """The settings card in the member's language, with a button per choice."""
    lang = member.language
    text = t(lang, "settings.card", language_name=LANGUAGE_NAMES[lang], zone=member.time_zone)
    languages = [
        button(("✓ " if code == lang else "") + LANGUAGE_NAMES[code], ChooseLanguage(code))
        for code in BOT_LANGUAGES
    ]
    zones = [button(("✓ " if z == member.time_zone else "") + z, ChooseZone(z)) for z in COMMON_ZONES]
    return text, keyboard(languages, *grid(zones, 2), [button(t(lang, "settings.other_zone"), OtherZone())])


@guarded
async def settings_command(update: Update, context: BotContext) -> None:
    """Show the member's settings."""
    member = await service.my_settings(context.deps.uow, actor_of(update))
    await show(update, *panel(member))


@guarded
async def choose_language(update: Update, context: BotContext) -> None:
    """A language button: the menu follows."""
    language = ChooseLanguage.read(update).language
    now = context.deps.clock.now()
    member = await service.set_language(context.deps.uow, actor_of(update), language, now)
    await set_member_menu(context.bot, member.telegram_user_id, member.role, member.language)
    await show(update, *panel(member))


@guarded
async def choose_zone(update: Update, context: BotContext) -> None:
    """A time zone button."""
    zone = ChooseZone.read(update).zone
    changed = await service.set_time_zone(context.deps.uow, actor_of(update), zone, context.deps.clock.now())
    reschedule(context, changed)
    await show(update, *panel(changed.member))


@guarded
async def ask_zone(update: Update, context: BotContext) -> int:
    """Ask for a zone name to type."""
    OtherZone.read(update)
    member = await service.my_settings(context.deps.uow, actor_of(update))
    await show(update, t(member.language, "settings.ask_zone"))
    return TYPING_ZONE


@guarded
async def got_zone(update: Update, context: BotContext) -> int:
    """Set the typed zone, or say what was expected and wait for another try."""
    assert update.message is not None and update.message.text is not None
    changed = await service.set_time_zone(
        context.deps.uow, actor_of(update), update.message.text, context.deps.clock.now()
    )
    reschedule(context, changed)
    member = changed.member
    text, markup = panel(member)
    here = context.deps.clock.now().astimezone(ZoneInfo(member.time_zone)).strftime("%H:%M")
    read = t(
        member.language,
        "settings.zone_read",
        typed=update.message.text.strip()[:64],
        zone=member.time_zone,
        time=here,
    )
    await reply(update, f"{read}\n\n{text}", markup)
    return END


def reschedule(context: BotContext, changed: service.ZoneChanged) -> None:
    """The jobs of the digests that moved with the time zone follow them."""
    if context.job_queue is not None:
        for subscription in changed.moved:
            schedule(context.job_queue, subscription, context.deps.clock.now())


def handlers() -> list[object]:
    """/settings, its buttons, and the typed-zone step."""
    typed = guided(
        "zone",
        entry_points=[CallbackQueryHandler(ask_zone, pattern=OtherZone.pattern)],
        states={
            TYPING_ZONE: [
                MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, got_zone)
            ]
        },
    )
    return [
        CommandHandler("settings", settings_command, filters=filters.ChatType.PRIVATE),
        typed,
        CallbackQueryHandler(choose_language, pattern=ChooseLanguage.pattern),
        CallbackQueryHandler(choose_zone, pattern=ChooseZone.pattern),
    ]
