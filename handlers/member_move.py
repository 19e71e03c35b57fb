"""Moving a member to another delegation (a person changing posts), from their card in /members."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.domain.errors import InvalidInput
from bot.services import members as service
from bot.services.catalog import delegations
from handlers.context import BotContext
from handlers.keyboards import as_int, button, grid, keyboard, parts
from handlers.members import card
from handlers.respond import actor_of, guarded, show
from handlers.texts import t


def _args(update: Update, action: str, count: int) -> list[str]:
    data = parts(update.callback_query.data if update.callback_query else None, "mmv", count)
    if data is None or data[0] != action:
        raise InvalidInput("error.stale")
    return data


@guarded
async def ask_delegation(update: Update, context: BotContext) -> None:
    """The delegations to move the member to (the service checks admin, and never oneself)."""
    member_id = as_int(_args(update, "ask", 2)[1])
    if member_id is None:
        raise InvalidInput("error.stale")
    member = await service.revocable_member(context.deps.uow, actor_of(update), member_id)
    viewer = await context.viewer(update)
    lang = viewer.language
    choices = [
        button(d.code, "mmv", "to", member.id, d.code)
        for d in await delegations(context.deps.uow)
        if d.code != member.delegation.code
    ]
    back = [button(t(lang, "members.revoke_no"), "mem", "show", member.id)]
    text = t(lang, "members.ask_delegation", name=member.display_name, code=member.delegation.code)
    await show(update, text, keyboard(*grid(choices, 5), back))


@guarded
async def move(update: Update, context: BotContext) -> None:
    """Move, then show the card again with what was done."""
    _, ident, code = _args(update, "to", 3)
    member_id = as_int(ident)
    if member_id is None:
        raise InvalidInput("error.stale")
    moved = await service.move(context.deps.uow, actor_of(update), member_id, code, context.deps.clock.now())
    viewer = await context.viewer(update)
    text, markup = card(viewer, moved)
    done = t(viewer.language, "members.moved", name=moved.display_name, code=moved.delegation.code)
    await show(update, f"{done}\n\n{text}", markup)


def handlers() -> list[object]:
    """The move buttons of a member's card."""
    return [
        CallbackQueryHandler(ask_delegation, pattern="^mmv:ask:"),
        CallbackQueryHandler(move, pattern="^mmv:to:"),
    ]
