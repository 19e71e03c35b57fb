"""/initiatives (paged, filtered by buttons or typed) and /initiative REF (details and updates)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.filters import STATUS_CODES, TYPE_CODES, parse_filter
from bot.domain.model import Region
from bot.domain.specs import InitiativeFilter
from bot.domain.vocab import InitiativeStatus, InitiativeType
from bot.services import browse
from handlers import filter_codes
from handlers.budget import expensive
from handlers.context import BotContext
from handlers.initiative_view import detail_view
from handlers.keyboards import as_int, button, grid, keyboard, parts
from handlers.render import initiative_line
from handlers.respond import guarded, show
from handlers.texts import t


@guarded
async def initiatives_command(update: Update, context: BotContext) -> None:
    """The list, narrowed by what was typed after the command."""
    viewer = await context.viewer(update)
    browse.require_reader(viewer)
    where = await browse.resolve_filter(context.deps.uow, viewer, parse_filter(" ".join(context.args or [])))
    await show_page(update, context, where, 0, await browse.regions(context.deps.uow))


async def show_page(
    update: Update, context: BotContext, where: InitiativeFilter, page: int, regions: Sequence[Region]
) -> None:
    """One page of the list with its numbered, paging and filter buttons."""
    viewer = await context.viewer(update)
    listing = await browse.list_initiatives(context.deps.uow, viewer, where, page)
    lang = viewer.language
    code = filter_codes.encode(where, regions)
    described = _describe(where, lang, regions)
    if not listing.items:
        await show(
            update, t(lang, "initiatives.none", filter=described), keyboard(*_filter_rows(lang, where, code))
        )
        return
    first = listing.page * browse.PAGE_SIZE
    lines = [
        t(
            lang,
            "initiatives.header",
            filter=described,
            total=listing.total,
            page=listing.page + 1,
            pages=listing.pages,
        )
    ]
    lines += [initiative_line(viewer, first + n + 1, i) for n, i in enumerate(listing.items)]
    opens = [button(str(first + n + 1), "ini", "o", i.id, code) for n, i in enumerate(listing.items)]
    nav = [button("◀", "ini", "p", listing.page - 1, code)] if listing.page > 0 else []
    nav += [button("▶", "ini", "p", listing.page + 1, code)] if listing.page + 1 < listing.pages else []
    await show(update, "\n".join(lines), keyboard(*grid(opens, 5), nav, *_filter_rows(lang, where, code)))


def _describe(where: InitiativeFilter, lang: str, regions: Sequence[Region]) -> str:
    if where.empty:
        return t(lang, "initiatives.all")
    names = {r.key: r.name for r in regions}
    found = [where.country or "", names.get(where.region or "", "")]
    found += [
        t(lang, f"type.{where.type.value}") if where.type else "",
        t(lang, f"status.{where.status.value}") if where.status else "",
    ]
    return " · ".join(p for p in found if p)


def _filter_rows(lang: str, where: InitiativeFilter, code: str) -> list[list[InlineKeyboardButton]]:
    row = [
        button(t(lang, "initiatives.by_region"), "ini", "f", "r", code),
        button(t(lang, "initiatives.by_type"), "ini", "f", "t", code),
        button(t(lang, "initiatives.by_status"), "ini", "f", "s", code),
    ]
    clear = [button(t(lang, "initiatives.clear"), "ini", "p", 0, "-.-.-.-")]
    if where.region:
        clear.append(button(t(lang, "initiatives.follow_region"), "fol", "on", "region", where.region))
    return [row, [] if where.empty else clear]


async def _decode(update: Update, context: BotContext) -> tuple[str, str, InitiativeFilter, Sequence[Region]]:
    data = parts(update.callback_query.data if update.callback_query else None, "ini", 3)
    regions = await browse.regions(context.deps.uow)
    where = filter_codes.decode(data[2], regions) if data else None
    if data is None or where is None:
        raise InvalidInput("error.stale")
    return data[0], data[1], where, regions


@expensive
@guarded
async def page_button(update: Update, context: BotContext) -> None:
    """◀ ▶ and 'clear filters': the same message, another page."""
    _, arg, where, regions = await _decode(update, context)
    page = as_int(arg)
    if page is None:
        raise InvalidInput("error.stale")
    await show_page(update, context, where, page, regions)


@guarded
async def filter_menu(update: Update, context: BotContext) -> None:
    """The choices of one filter as buttons."""
    viewer = await context.viewer(update)
    browse.require_reader(viewer)
    _, which, where, regions = await _decode(update, context)
    lang = viewer.language
    code = filter_codes.encode(where, regions)
    if which == "r":
        choices = [button(r.name, "ini", "r", r.id, code) for r in regions]
    elif which == "t":
        choices = [
            button(t(lang, f"type.{k.value}"), "ini", "t", TYPE_CODES[k], code) for k in InitiativeType
        ]
    elif which == "s":
        choices = [
            button(t(lang, f"status.{s.value}"), "ini", "s", STATUS_CODES[s], code) for s in InitiativeStatus
        ]
    else:
        raise InvalidInput("error.stale")
    any_choice = button(t(lang, "initiatives.any"), "ini", which, filter_codes.NONE, code)
    await show(update, t(lang, f"initiatives.choose_{which}"), keyboard(*grid(choices, 2), [any_choice]))


@expensive
@guarded
async def filter_choice(update: Update, context: BotContext) -> None:
    """A region, type or status picked: page one of the narrowed list."""
    which, value, where, regions = await _decode(update, context)
    none = value == filter_codes.NONE
    if which == "r":
        key = next((r.key for r in regions if str(r.id) == value), None)
        if key is None and not none:
            raise InvalidInput("error.stale")
        where = dataclasses.replace(where, region=key)
    elif which == "t":
        if not none and value not in filter_codes.TYPES:
            raise InvalidInput("error.stale")
        where = dataclasses.replace(where, type=filter_codes.TYPES.get(value))
    else:
        if not none and value not in filter_codes.STATUSES:
            raise InvalidInput("error.stale")
        where = dataclasses.replace(where, status=filter_codes.STATUSES.get(value))
    await show_page(update, context, where, 0, regions)


@guarded
async def open_button(update: Update, context: BotContext) -> None:
    """A numbered button of the list: the initiative's details."""
    data = parts(update.callback_query.data if update.callback_query else None, "ini", 3)
    if data is None or as_int(data[1]) is None:
        raise InvalidInput("error.stale")
    await detail_view(update, context, data[1], 0)


@guarded
async def initiative_command(update: Update, context: BotContext) -> None:
    """/initiative REF: details by reference or id."""
    browse.require_reader(await context.viewer(update))
    if not context.args:
        raise InvalidInput("initiative.ask_ref")
    await detail_view(update, context, " ".join(context.args), 0)


@expensive
@guarded
async def older_updates(update: Update, context: BotContext) -> None:
    """Older updates of an initiative, five at a time."""
    data = parts(update.callback_query.data if update.callback_query else None, "inu", 2)
    ident = as_int(data[0]) if data else None
    offset = as_int(data[1]) if data else None
    if ident is None or offset is None:
        raise InvalidInput("error.stale")
    await detail_view(update, context, str(ident), offset)


def handlers() -> list[object]:
    """The list and detail commands with their buttons."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("initiatives", initiatives_command, filters=private),
        CommandHandler("initiative", initiative_command, filters=private),
        CallbackQueryHandler(page_button, pattern="^ini:p:"),
        CallbackQueryHandler(filter_menu, pattern="^ini:f:"),
        CallbackQueryHandler(filter_choice, pattern="^ini:[rts]:"),
        CallbackQueryHandler(open_button, pattern="^ini:o:"),
        CallbackQueryHandler(older_updates, pattern="^inu:"),
    ]
