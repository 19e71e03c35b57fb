"""Moving a member to another delegation (a person changing posts), from their card in /members."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.services import members as service
from bot.services.catalog import delegations
from handlers.buttons import MoveMember, ShowMember
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.keyboards import button, grid, keyboard
from handlers.members import card
from handlers.respond import actor_of, guarded, show
from handlers.texts import t


@dataclass(frozen=True)
class MoveTo(CallbackData, prefix="mmv:to"):
    """The delegation the member moves to."""

    member: int
    code: str


@guarded
async def ask_delegation(update: Update, context: BotContext) -> None:
    """The delegations to move the member to (the service checks admin, and never oneself)."""
    member_id = MoveMember.read(update).member
    member = await service.revocable_member(context.deps.uow, actor_of(update), member_id)
    viewer = await context.viewer(update)
    lang = viewer.language
    choices = [
        button(d.code, MoveTo(member.id, d.code))
        for d in await delegations(context.deps.uow)
        if d.code != member.delegation.code
    ]
    back = [button(t(lang, "members.revoke_no"), ShowMember(member.id))]
    text = t(lang, "members.ask_delegation", name=member.display_name, code=member.delegation.code)
    await show(update, text, keyboard(*grid(choices, 5), back))


@guarded
async def move(update: Update, context: BotContext) -> None:
    """Move, then show the card again with what was done."""
    pressed = MoveTo.read(update)
    now = context.deps.clock.now()
    moved = await service.move(context.deps.uow, actor_of(update), pressed.member, pressed.code, now)
    viewer = await context.viewer(update)
    text, markup = card(viewer, moved)
    done = t(viewer.language, "members.moved", name=moved.display_name, code=moved.delegation.code)
    await show(update, f"{done}\n\n{text}", markup)


def handlers() -> list[object]:
    """The move buttons of a member's card."""
    return [
        CallbackQueryHandler(ask_delegation, pattern=MoveMember.pattern),
        CallbackQueryHandler(move, pattern=MoveTo.pattern),
    ]
