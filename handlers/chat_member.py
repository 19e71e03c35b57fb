"""Telegram tells us when a user blocks or unblocks the bot (mark them unreachable or reachable), and when
the bot is added to or removed from a group (see `handlers.groups`)."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import ChatMemberHandler

from bot.services.members import set_reachable
from handlers import groups
from handlers.context import BotContext

log = logging.getLogger(__name__)
GONE = {ChatMember.BANNED, ChatMember.LEFT}


async def my_status_changed(update: Update, context: BotContext) -> None:
    """Private chat: blocked is unreachable, unblocked reachable. Groups: registered, refused or removed."""
    change = update.my_chat_member
    if change is None:
        return
    gone = change.new_chat_member.status in GONE
    if change.chat.type == "private":
        await set_reachable(context.deps.uow, change.from_user.id, not gone, context.deps.clock.now())
    else:
        log.info("bot %s group %s", "removed from" if gone else "added to", change.chat.id)
        await groups.bot_membership_changed(update, context, change)


def handlers() -> list[object]:
    """The my_chat_member handler."""
    return [ChatMemberHandler(my_status_changed, ChatMemberHandler.MY_CHAT_MEMBER)]
