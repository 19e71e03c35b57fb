"""/search TEXT: ranked results over initiatives and the updates the viewer may read, with paging."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.domain.errors import InvalidInput
from bot.domain.model import Viewer
from bot.domain.posting import protected
from bot.domain.search import HIT_END, HIT_START, SearchHit
from bot.services.browse import require_reader
from bot.services.search import PAGE_SIZE, SearchOutcome, search
from handlers.budget import expensive
from handlers.buttons import OpenFromSearch
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.dates import local_date
from handlers.initiative_view import detail_view
from handlers.keyboards import button, grid, keyboard
from handlers.render import esc, fit, shorten
from handlers.respond import guarded, show
from handlers.rounds_view import search_hint
from handlers.texts import t

KEPT = 10  # searches remembered per user for paging


@dataclass(frozen=True)
class SearchPage(CallbackData, prefix="srch"):
    """◀ ▶ through the results of a search remembered under `search`."""

    search: str
    page: int


def highlighted(snippet: str) -> str:
    """The snippet escaped, its markers turned into bold."""
    return esc(snippet).replace(HIT_START, "<b>").replace(HIT_END, "</b>")


def _remember(context: BotContext, text: str) -> str:
    store = context.user_data.setdefault("searches", {}) if context.user_data is not None else {}
    key = secrets.token_hex(4)
    store[key] = text
    while len(store) > KEPT:
        store.pop(next(iter(store)))
    return key


@expensive
@guarded
async def search_command(update: Update, context: BotContext) -> None:
    """Search what was typed after the command."""
    viewer = await context.viewer(update)
    require_reader(viewer)
    text = " ".join(context.args or [])
    if not text.strip():
        raise InvalidInput("search.empty")
    await _show(update, context, _remember(context, text[:500]), text[:500], 0)


@expensive
@guarded
async def search_page(update: Update, context: BotContext) -> None:
    """◀ ▶ through the results of a remembered search."""
    pressed = SearchPage.read(update)
    remembered = (context.user_data or {}).get("searches", {})
    if pressed.search not in remembered:
        raise InvalidInput("search.expired")
    await _show(update, context, pressed.search, remembered[pressed.search], pressed.page)


@guarded
async def open_from_search(update: Update, context: BotContext) -> None:
    """A numbered result: the initiative's details, with ◀ Back to the page of results it was on."""
    pressed = OpenFromSearch.read(update)
    if pressed.search not in (context.user_data or {}).get("searches", {}):
        raise InvalidInput("error.stale")
    back = SearchPage(pressed.search, pressed.page)
    await detail_view(update, context, str(pressed.initiative), 0, back)


async def _show(update: Update, context: BotContext, key: str, text: str, page: int) -> None:
    viewer = await context.viewer(update)
    outcome = await search(context.deps.uow, viewer, text, page, time_limit=context.deps.search_time_limit)
    lang = viewer.language
    results = outcome.results
    rounds = await search_hint(update, context, text) if outcome.page == 0 else None
    if not results.initiatives and not results.updates:
        await show(
            update,
            "\n\n".join([t(lang, "search.none", query=shorten(text, 80)), *([rounds] if rounds else [])]),
        )
        return
    blocks = [_header(viewer, outcome, text), *([rounds] if rounds else [])]
    hits = [*results.initiatives, *results.updates]
    first = outcome.page * PAGE_SIZE + 1  # numbered across pages, as the buttons are
    blocks += [_hit(viewer, first + n, hit) for n, hit in enumerate(hits)]
    opens = [
        button(str(first + n), OpenFromSearch(hit.initiative_id, key, outcome.page))
        for n, hit in enumerate(hits)
    ]
    nav = [button("◀", SearchPage(key, outcome.page - 1))] if outcome.page > 0 else []
    nav += [button("▶", SearchPage(key, outcome.page + 1))] if outcome.page + 1 < outcome.pages else []
    protect = any(protected(hit.tlp) for hit in hits if hit.tlp is not None)
    markup = keyboard(*([] if viewer.in_group else grid(opens, 5)), nav)
    await show(update, fit(blocks), markup, protect=protect)


def _header(viewer: Viewer, outcome: SearchOutcome, text: str) -> str:
    results = outcome.results
    more = "+" if results.capped else ""
    return t(
        viewer.language,
        "search.header",
        query=shorten(text, 80),
        initiatives=results.total_initiatives,
        updates=f"{results.total_updates}{more}",
        page=outcome.page + 1,
        pages=outcome.pages,
    )


def _hit(viewer: Viewer, number: int, hit: SearchHit) -> str:
    head = f"{number}. <code>{esc(hit.initiative_ref)}</code> {esc(shorten(hit.initiative_title, 70))}"
    if hit.kind == "update" and hit.tlp is not None:
        when = local_date(hit.created_at, viewer) if hit.created_at else ""
        head = f"{number}. <b>[{hit.tlp.value}]</b> {when} · <code>{esc(hit.initiative_ref)}</code>"
    return f"{head}\n{highlighted(hit.snippet)}"


def handlers() -> list[object]:
    """/search (private chats and groups: a group sees TLP:CLEAR only) and its paging."""
    return [
        CommandHandler("search", search_command),
        CallbackQueryHandler(search_page, pattern=SearchPage.pattern),
        CallbackQueryHandler(open_from_search, pattern=OpenFromSearch.pattern),
    ]
