"""/country NAME: a country by code or any-language name, typo-tolerant; ambiguous names offer buttons."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.errors import InvalidInput, NotFound
from bot.domain.posting import FollowKind, protected
from bot.domain.specs import InitiativeFilter
from bot.services import browse
from handlers import filter_codes
from handlers.budget import expensive
from handlers.buttons import Follow, InitiativesPage, OpenInitiative
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.dates import local
from handlers.keyboards import button, grid, keyboard
from handlers.render import esc, fit, initiative_line, update_block
from handlers.respond import guarded, show
from handlers.texts import t

SHOWN = 10


@dataclass(frozen=True)
class PickCountry(CallbackData, prefix="cty"):
    """One of the countries an ambiguous name may mean."""

    code: str


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
    if match.country is not None:
        await _profile(update, context, match.country.code)
    elif match.candidates:
        choices = [button(f"{c.name} ({c.code})", PickCountry(c.code)) for c in match.candidates]
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


async def _profile(update: Update, context: BotContext, code: str) -> None:
    viewer = await context.viewer(update)
    lang = viewer.language
    profile = await browse.country_profile(context.deps.uow, viewer, code, context.deps.clock.now())
    country = profile.country
    head = [f"<b>{esc(country.names.get(lang, country.name))}</b> ({country.code})"]
    head += (
        [t(lang, "country.regions", names=", ".join(r.name for r in profile.regions))]
        if profile.regions
        else []
    )
    blocks = ["\n".join(head)]
    items = profile.initiatives[:SHOWN]  # the service loads only these
    if items:
        lines = [t(lang, "country.initiatives", total=profile.total)]
        lines += [initiative_line(viewer, n + 1, i) for n, i in enumerate(items)]
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
    opens = [button(str(n + 1), OpenInitiative(i.id)) for n, i in enumerate(items)]
    all_of_it = InitiativesPage(0, filter_codes.encode(InitiativeFilter(country=country.code), ()))
    more = [button(t(lang, "country.all_initiatives"), all_of_it)]
    follow = [button(t(lang, "country.follow"), Follow("on", FollowKind.COUNTRY, country.code))]
    await show(
        update,
        fit(blocks),
        keyboard(*grid(opens, 5), more if profile.total > SHOWN else [], follow),
        protect=any(protected(u.tlp) for u in profile.updates),
    )


def handlers() -> list[object]:
    """/country and its candidate buttons."""
    return [
        CommandHandler("country", country_command, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(country_button, pattern=PickCountry.pattern),
    ]
