"""/country NAME: a country by code or any-language name, typo-tolerant; ambiguous names offer buttons."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.errors import InvalidInput, NotFound
from bot.domain.places import country_name, region_name
from bot.domain.posting import FollowKind, protected
from bot.domain.specs import InitiativeFilter
from bot.services import browse
from handlers.budget import expensive
from handlers.buttons import Follow, OpenFromCountry
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.dates import local
from handlers.initiative_view import detail_view
from handlers.initiatives import show_page
from handlers.keyboards import button, grid, keyboard
from handlers.render import esc, fit, initiative_line, update_block
from handlers.respond import guarded, show
from handlers.texts import t

SHOWN = 10


@dataclass(frozen=True)
class PickCountry(CallbackData, prefix="cty"):
    """One of the countries an ambiguous name may mean."""

    code: str


@dataclass(frozen=True)
class CountryPage(CallbackData, prefix="ctyp"):
    """◀ ▶ through the initiatives a country's profile counts."""

    code: str
    page: int


@expensive
@guarded
async def country_command(update: Update, context: BotContext) -> None:
    """Find the country, then show its profile or the candidates."""
    viewer = await context.viewer(update)
    browse.require_reader(viewer)
    text = " ".join(context.args or [])
    if not text.strip():
        raise InvalidInput("country.ask_name")
    match = await browse.find_country(context.deps.uow, viewer, text)
    if match.region is not None:  # a region's name: its list, with its own 🔔
        regions = await browse.regions(context.deps.uow)
        await show_page(update, context, InitiativeFilter(region=match.region.key), 0, regions)
    elif match.country is not None:
        await _profile(update, context, match.country.code)
    elif match.candidates:
        lang = viewer.language
        choices = [
            button(f"{country_name(c, lang)} ({c.code})", PickCountry(c.code)) for c in match.candidates
        ]
        await show(update, t(viewer.language, "country.which", name=text[:40]), keyboard(*grid(choices, 1)))
    else:
        raise NotFound("country.not_found", name=text[:40])


@expensive
@guarded
async def country_button(update: Update, context: BotContext) -> None:
    """A candidate picked."""
    code = PickCountry.read(update).code
    if len(code) != 2:
        raise InvalidInput("error.stale")
    await _profile(update, context, code)


@expensive
@guarded
async def country_page(update: Update, context: BotContext) -> None:
    """◀ ▶ on a profile: the same profile, another page of its initiatives."""
    pressed = CountryPage.read(update)
    await _profile(update, context, pressed.code, pressed.page)


@guarded
async def open_from_country(update: Update, context: BotContext) -> None:
    """A numbered initiative of a profile: its details, with ◀ Back to the profile's page it was on."""
    pressed = OpenFromCountry.read(update)
    if not re.fullmatch(r"[A-Z]{2}", pressed.code):
        raise InvalidInput("error.stale")
    back = CountryPage(pressed.code, pressed.page)
    await detail_view(update, context, str(pressed.initiative), 0, back)


async def _profile(update: Update, context: BotContext, code: str, page: int = 0) -> None:
    viewer = await context.viewer(update)
    lang = viewer.language
    now = context.deps.clock.now()
    profile = await browse.country_profile(context.deps.uow, viewer, code, now, SHOWN, max(0, page) * SHOWN)
    country = profile.country
    head = [f"<b>{esc(country_name(country, lang))}</b> ({country.code})"]
    head += (
        [t(lang, "country.regions", names=", ".join(region_name(r, lang) for r in profile.regions))]
        if profile.regions
        else []
    )
    blocks = ["\n".join(head)]
    items = profile.initiatives  # the service loads only these
    first = profile.offset + 1  # numbered across pages
    if items:
        lines = [t(lang, "country.initiatives", total=profile.total)]
        lines += [initiative_line(viewer, first + n, i) for n, i in enumerate(items)]
        blocks.append("\n".join(lines))
    else:
        blocks.append(t(lang, "country.no_initiatives"))
    if profile.updates:
        blocks.append(t(lang, "country.updates"))
        blocks += [update_block(viewer, u, profile.refs.get(u.initiative_id)) for u in profile.updates]
    if profile.events:
        lines = [t(lang, "country.events")]
        lines += [f"{local(e.starts_at, viewer)} · {esc(e.title)}" for e in profile.events[:5]]
        blocks.append("\n".join(lines))
    at = profile.offset // SHOWN
    opens = [button(str(first + n), OpenFromCountry(i.id, country.code, at)) for n, i in enumerate(items)]
    nav = [button("◀", CountryPage(country.code, at - 1))] if at > 0 else []
    nav += [button("▶", CountryPage(country.code, at + 1))] if profile.offset + SHOWN < profile.total else []
    follow = [button(t(lang, "country.follow"), Follow("on", FollowKind.COUNTRY, country.code))]
    await show(
        update,
        fit(blocks),
        keyboard(*grid(opens, 5), nav, follow),
        protect=any(protected(u.tlp) for u in profile.updates),
    )


def handlers() -> list[object]:
    """/country and its candidate buttons."""
    return [
        CommandHandler("country", country_command, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(country_button, pattern=PickCountry.pattern),
        CallbackQueryHandler(country_page, pattern=CountryPage.pattern),
        CallbackQueryHandler(open_from_country, pattern=OpenFromCountry.pattern),
    ]
