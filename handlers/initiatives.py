"""/initiatives (paged, filtered by buttons or typed) and /initiative REF (details and updates)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.country_index import normalise
from bot.domain.errors import InvalidInput
from bot.domain.filters import Vocabulary, parse_filter
from bot.domain.ids import parse_id
from bot.domain.languages import BOT_LANGUAGES
from bot.domain.model import Country, Region
from bot.domain.places import country_name, region_name
from bot.domain.posting import FollowKind
from bot.domain.specs import InitiativeFilter
from bot.domain.vocab import InitiativeStatus, InitiativeType
from bot.services import browse
from handlers import filter_codes
from handlers.budget import expensive
from handlers.buttons import Follow, InitiativesPage, OpenFromList, OpenInitiative, UpdatesPage
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.initiative_view import detail_view
from handlers.keyboards import button, grid, keyboard
from handlers.render import initiative_line
from handlers.respond import guarded, show
from handlers.texts import t

LISTED = "listed"  # user_data: the filter of the list the member saw last


@dataclass(frozen=True)
class FilterMenu(CallbackData, prefix="ini:f"):
    """'By region', 'by type', 'by status': the choices of one filter, under the current one."""

    which: Literal["r", "t", "s"]
    filter: str


@dataclass(frozen=True)
class PickRegion(CallbackData, prefix="ini:r"):
    """A region (by id) or any region."""

    region: int | None
    filter: str


@dataclass(frozen=True)
class PickType(CallbackData, prefix="ini:t"):
    """A type or any type."""

    type: InitiativeType | None
    filter: str


@dataclass(frozen=True)
class PickStatus(CallbackData, prefix="ini:s"):
    """A status or any status."""

    status: InitiativeStatus | None
    filter: str


@guarded
async def initiatives_command(update: Update, context: BotContext) -> None:
    """The list, narrowed by what was typed after the command."""
    viewer = await context.viewer(update)
    browse.require_reader(viewer)
    typed = parse_filter(" ".join(context.args or []), vocabulary(viewer.language))
    where = await browse.resolve_filter(context.deps.uow, viewer, typed)
    await show_page(update, context, where, 0, await browse.regions(context.deps.uow))


def vocabulary(language: str) -> Vocabulary:
    """Types and statuses by their names in every language the bot speaks; shown in `language`."""
    values = [f"type.{k.value}" for k in InitiativeType] + [f"status.{s.value}" for s in InitiativeStatus]
    accepted = {normalise(t(lang, key)): key.split(".", 1)[1] for lang in BOT_LANGUAGES for key in values}
    return Vocabulary(accepted, {key.split(".", 1)[1]: t(language, key) for key in values})


async def show_page(
    update: Update, context: BotContext, where: InitiativeFilter, page: int, regions: Sequence[Region]
) -> None:
    """One page of the list with its numbered, paging and filter buttons."""
    viewer = await context.viewer(update)
    listing = await browse.list_initiatives(context.deps.uow, viewer, where, page)
    lang = viewer.language
    code = filter_codes.encode(where, regions)
    described = _describe(where, lang, regions, listing.country)
    if not listing.items:
        await show(
            update, t(lang, "initiatives.none", filter=described), keyboard(*_filter_rows(lang, where, code))
        )
        return
    if context.user_data is not None:  # `/initiative N` means the N the member last saw here
        context.user_data[LISTED] = code
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
    page = listing.page
    opens = [button(str(first + n + 1), OpenFromList(i.id, page, code)) for n, i in enumerate(listing.items)]
    nav = [button("◀", InitiativesPage(listing.page - 1, code))] if listing.page > 0 else []
    nav += [button("▶", InitiativesPage(listing.page + 1, code))] if listing.page + 1 < listing.pages else []
    await show(update, "\n".join(lines), keyboard(*grid(opens, 5), nav, *_filter_rows(lang, where, code)))


def _describe(where: InitiativeFilter, lang: str, regions: Sequence[Region], country: Country | None) -> str:
    if where.empty:
        return t(lang, "initiatives.all")
    names = {r.key: region_name(r, lang) for r in regions}
    place = country_name(country, lang) if country is not None else where.country or ""
    found = [place, names.get(where.region or "", "")]
    found += [
        t(lang, f"type.{where.type.value}") if where.type else "",
        t(lang, f"status.{where.status.value}") if where.status else "",
    ]
    return " · ".join(p for p in found if p)


def _filter_rows(lang: str, where: InitiativeFilter, code: str) -> list[list[InlineKeyboardButton]]:
    row = [
        button(t(lang, "initiatives.by_region"), FilterMenu("r", code)),
        button(t(lang, "initiatives.by_type"), FilterMenu("t", code)),
        button(t(lang, "initiatives.by_status"), FilterMenu("s", code)),
    ]
    clear = [button(t(lang, "initiatives.clear"), InitiativesPage(0, filter_codes.EVERYTHING))]
    if where.region:
        follow = Follow("on", FollowKind.REGION, where.region)
        clear.append(button(t(lang, "initiatives.follow_region"), follow))
    if where.country:
        clear.append(button(t(lang, "country.follow"), Follow("on", FollowKind.COUNTRY, where.country)))
    return [row, [] if where.empty else clear]


async def _where(context: BotContext, code: str) -> tuple[InitiativeFilter, Sequence[Region]]:
    """The filter a button carries, with the regions it was read against."""
    regions = await browse.regions(context.deps.uow)
    where = filter_codes.decode(code, regions)
    if where is None:
        raise InvalidInput("error.stale")
    return where, regions


@expensive
@guarded
async def page_button(update: Update, context: BotContext) -> None:
    """◀ ▶ and 'clear filters': the same message, another page."""
    pressed = InitiativesPage.read(update)
    where, regions = await _where(context, pressed.filter)
    await show_page(update, context, where, pressed.page, regions)


@guarded
async def filter_menu(update: Update, context: BotContext) -> None:
    """The choices of one filter as buttons."""
    viewer = await context.viewer(update)
    browse.require_reader(viewer)
    pressed = FilterMenu.read(update)
    where, regions = await _where(context, pressed.filter)
    lang = viewer.language
    code = filter_codes.encode(where, regions)
    choices: list[InlineKeyboardButton]
    if pressed.which == "r":
        choices = [button(region_name(r, lang), PickRegion(r.id, code)) for r in regions]
        anything: CallbackData = PickRegion(None, code)
    elif pressed.which == "t":
        choices = [button(t(lang, f"type.{k.value}"), PickType(k, code)) for k in InitiativeType]
        anything = PickType(None, code)
    else:
        choices = [button(t(lang, f"status.{s.value}"), PickStatus(s, code)) for s in InitiativeStatus]
        anything = PickStatus(None, code)
    any_choice = button(t(lang, "initiatives.any"), anything)
    await show(
        update, t(lang, f"initiatives.choose_{pressed.which}"), keyboard(*grid(choices, 2), [any_choice])
    )


@expensive
@guarded
async def region_choice(update: Update, context: BotContext) -> None:
    """A region picked (or any): page one of the narrowed list."""
    pressed = PickRegion.read(update)
    where, regions = await _where(context, pressed.filter)
    key = next((r.key for r in regions if r.id == pressed.region), None)
    if key is None and pressed.region is not None:
        raise InvalidInput("error.stale")
    await show_page(update, context, dataclasses.replace(where, region=key), 0, regions)


@expensive
@guarded
async def type_choice(update: Update, context: BotContext) -> None:
    """A type picked (or any): page one of the narrowed list."""
    pressed = PickType.read(update)
    where, regions = await _where(context, pressed.filter)
    await show_page(update, context, dataclasses.replace(where, type=pressed.type), 0, regions)


@expensive
@guarded
async def status_choice(update: Update, context: BotContext) -> None:
    """A status picked (or any): page one of the narrowed list."""
    pressed = PickStatus.read(update)
    where, regions = await _where(context, pressed.filter)
    await show_page(update, context, dataclasses.replace(where, status=pressed.status), 0, regions)


@guarded
async def open_button(update: Update, context: BotContext) -> None:
    """A numbered button of a list: the initiative's details."""
    await detail_view(update, context, str(OpenInitiative.read(update).initiative), 0)


@guarded
async def open_from_list(update: Update, context: BotContext) -> None:
    """A numbered button of /initiatives: the details, with ◀ Back to the page it was on."""
    pressed = OpenFromList.read(update)
    await _where(context, pressed.filter)  # a filter the list could not have made: refused as stale
    back = InitiativesPage(pressed.page, pressed.filter)
    await detail_view(update, context, str(pressed.initiative), 0, back)


@guarded
async def initiative_command(update: Update, context: BotContext) -> None:
    """/initiative REF, or /initiative N: the N-th of the member's latest list (of all, if none)."""
    viewer = await context.viewer(update)
    browse.require_reader(viewer)
    if not context.args:
        raise InvalidInput("initiative.ask_ref")
    typed = " ".join(context.args)
    number = parse_id(typed)
    if number is not None:
        where, _ = await _where(context, (context.user_data or {}).get(LISTED, filter_codes.EVERYTHING))
        typed = str((await browse.initiative_at(context.deps.uow, viewer, where, number)).id)
    await detail_view(update, context, typed, 0)


@expensive
@guarded
async def older_updates(update: Update, context: BotContext) -> None:
    """Older updates of an initiative, five at a time."""
    pressed = UpdatesPage.read(update)
    await detail_view(update, context, str(pressed.initiative), pressed.offset)


def handlers() -> list[object]:
    """The list and detail commands with their buttons."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("initiatives", initiatives_command, filters=private),
        CommandHandler("initiative", initiative_command, filters=private),
        CallbackQueryHandler(page_button, pattern=InitiativesPage.pattern),
        CallbackQueryHandler(filter_menu, pattern=FilterMenu.pattern),
        CallbackQueryHandler(region_choice, pattern=PickRegion.pattern),
        CallbackQueryHandler(type_choice, pattern=PickType.pattern),
        CallbackQueryHandler(status_choice, pattern=PickStatus.pattern),
        CallbackQueryHandler(open_button, pattern=OpenInitiative.pattern),
        CallbackQueryHandler(open_from_list, pattern=OpenFromList.pattern),
        CallbackQueryHandler(older_updates, pattern=UpdatesPage.pattern),
    ]
