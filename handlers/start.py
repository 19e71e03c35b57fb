"""/start: redeem an invitation (after the privacy notice), greet a member, or show a guest how to get in."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.domain.errors import InvalidInput
from bot.domain.ids import shared_ref
from bot.domain.languages import bot_language
from bot.domain.model import Member, Viewer
from bot.services.invites import check_invite, redeem_invite
from handlers import privacy
from handlers.buttons import JoinWithInvite, RequestAccess
from handlers.common import help_text
from handlers.context import BotContext
from handlers.initiative_view import detail_view
from handlers.keyboards import button, keyboard
from handlers.menu import set_member_menu
from handlers.respond import guarded, reply, show
from handlers.texts import Html, t


@guarded
async def start(update: Update, context: BotContext) -> None:
    """Greet: members by name and role, guests with how to get access; a payload is an invitation."""
    viewer = await context.viewer(update)
    if viewer.in_group:
        await reply(update, t(viewer.language, "start.group"))
    elif context.args and (ref := shared_ref(context.args[0])) is not None and viewer.role is not None:
        await detail_view(update, context, ref, 0)  # a link a member shared: the initiative it names
    elif context.args:
        await _redeem(update, context, viewer)
    elif viewer.member is not None and viewer.member.active:
        await reply(update, greeting(viewer.language, viewer.member, "start.member", viewer))
    else:
        key = "start.revoked" if viewer.member is not None else "start.guest"
        request = keyboard([button(t(viewer.language, "request.button"), RequestAccess())])
        await reply(update, t(viewer.language, key), request)


async def _redeem(update: Update, context: BotContext, viewer: Viewer) -> None:
    """A token: checked at once, then the privacy notice; joining is its continue button."""
    user = update.effective_user
    assert user is not None
    if len(context.args or []) != 1:
        raise InvalidInput("start.bad_token")
    token = (context.args or [""])[0]
    await check_invite(context.deps.uow, user.id, token, context.deps.clock.now())
    await reply(update, *privacy.notice(viewer.language, token))


@guarded
async def join(update: Update, context: BotContext) -> None:
    """The privacy notice's continue button: redeem the invitation and greet the new member."""
    token = JoinWithInvite.read(update).token
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != "private":
        raise InvalidInput("error.stale")
    member = await redeem_invite(
        context.deps.uow,
        user.id,
        chat.id,
        user.full_name,
        bot_language(user.language_code),
        token,
        context.deps.clock.now(),
    )
    fresh = Viewer(user.id, member, member.language)
    await set_member_menu(context.bot, chat.id, member.role, member.language)
    await show(update, greeting(member.language, member, "start.registered", fresh))


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


def handlers() -> list[object]:
    """The privacy notice's join button (/start itself is registered first, in `handlers.register`)."""
    return [CallbackQueryHandler(join, pattern=JoinWithInvite.pattern)]
