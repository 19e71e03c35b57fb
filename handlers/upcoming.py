"""/upcoming: events of the next 30 days, and the same as an iCalendar file to download."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.ical import calendar
from bot.services import browse
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.dates import local
from handlers.keyboards import button, keyboard
from handlers.render import esc, fit
from handlers.respond import guarded, show
from handlers.texts import t


@dataclass(frozen=True)
class DownloadCalendar(CallbackData, prefix="upc:ics"):
    """📅 Download: the events as an iCalendar file."""


@guarded
async def upcoming_command(update: Update, context: BotContext) -> None:
    """The list, with a button for the calendar file."""
    viewer = await context.viewer(update)
    lang = viewer.language
    events = await browse.upcoming_events(context.deps.uow, viewer, context.deps.clock.now())
    if not events:
        await show(update, t(lang, "upcoming.none", days=browse.UPCOMING_DAYS))
        return
    blocks = [t(lang, "upcoming.header", days=browse.UPCOMING_DAYS, count=len(events))]
    for event in events:
        where = " · ".join(esc(p) for p in (event.location, event.country_code, event.initiative_ref) if p)
        blocks.append(
            f"<b>{local(event.starts_at, viewer)}</b> · {t(lang, f'event.{event.kind.value}')}\n"
            f"{esc(event.title)}" + (f"\n{where}" if where else "")
        )
    await show(update, fit(blocks), keyboard([button(t(lang, "upcoming.ics"), DownloadCalendar())]))


@guarded
async def ics_button(update: Update, context: BotContext) -> None:
    """Send the events of the next 30 days as an .ics document."""
    DownloadCalendar.read(update)
    viewer = await context.viewer(update)
    now = context.deps.clock.now()
    events = await browse.upcoming_events(context.deps.uow, viewer, now)
    query = update.callback_query
    if query is not None:
        await query.answer()
    if update.effective_chat is not None:
        await context.bot.send_document(
            update.effective_chat.id,
            calendar(events, now),
            filename=f"emwp-upcoming-{now:%Y%m%d}.ics",
            caption=t(viewer.language, "upcoming.ics_caption", count=len(events)),
        )


def handlers() -> list[object]:
    """/upcoming and its download button."""
    return [
        CommandHandler("upcoming", upcoming_command, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(ics_button, pattern=DownloadCalendar.pattern),
    ]
