"""/start: redeem an invitation, greet a member, or show a guest how to get in."""

from __future__ import annotations

from telegram import Update

from bot.domain.errors import InvalidInput
from bot.domain.languages import bot_language
from bot.domain.model import Member, Viewer
from bot.services.invites import redeem_invite
from handlers.common import help_text
from handlers.context import BotContext
from handlers.keyboards import button, keyboard
from handlers.menu import set_member_menu
from handlers.respond import guarded, reply
from handlers.texts import Html, t


@guarded
async def start(update: Update, context: BotContext) -> None:
    """Greet: members by name and role, guests with how to get access; a payload is an invitation."""
    viewer = await context.viewer(update)
    if viewer.in_group:
        await reply(update, t(viewer.language, "start.group"))
    elif context.args:
        await _redeem(update, context, viewer)
    elif viewer.member is not None and viewer.member.active:
        await reply(update, greeting(viewer.language, viewer.member, "start.member", viewer))
    else:
        key = "start.revoked" if viewer.member is not None else "start.guest"
        request = keyboard([button(t(viewer.language, "request.button"), "req", "start")])
        await reply(update, t(viewer.language, key), request)


async def _redeem(update: Update, context: BotContext, viewer: Viewer) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    if len(context.args or []) != 1:
        raise InvalidInput("start.bad_token")
    language = bot_language(user.language_code)
    member = await redeem_invite(
        context.deps.uow,
        user.id,
        chat.id,
        user.full_name,
        language,
        (context.args or [""])[0],
        context.deps.clock.now(),
    )
    fresh = Viewer(user.id, member, member.language)
    await set_member_menu(context.bot, chat.id, member.role, member.language)
    await reply(update, greeting(member.language, member, "start.registered", fresh))


def greeting(language: str, member: Member, key: str, viewer: Viewer) -> str:
    """The welcome of a member, with the commands their role may use."""
    return t(
        language,
        key,
        name=member.display_name,
        delegation=member.delegation.code,
        role=t(language, f"role.{member.role.value}"),
        commands_hint=Html(help_text(viewer)),
    )
