"""Groups: an admin adding the bot registers the group; anyone else gets a goodbye. /groups lists and
unregisters them. In a group no admin registered, nothing runs (see `closed_door`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.languages import bot_language
from bot.services import groups as service
from handlers.callback_data import CallbackData, ChatId
from handlers.context import BotContext
from handlers.dates import local
from handlers.keyboards import button, grid, keyboard
from handlers.render import shorten
from handlers.respond import actor_of, guarded, show
from handlers.texts import t

log = logging.getLogger(__name__)
ABSENT = {ChatMember.LEFT, ChatMember.BANNED}


@dataclass(frozen=True)
class AskUnregister(CallbackData, prefix="grp:ask"):
    """'Unregister' beside a group in /groups: asks to confirm."""

    chat: ChatId


@dataclass(frozen=True)
class Unregister(CallbackData, prefix="grp:un"):
    """Unregistering, confirmed: the bot leaves the group."""

    chat: ChatId


@dataclass(frozen=True)
class GroupsList(CallbackData, prefix="grp:list"):
    """'No, keep': /groups again."""


async def closed_door(update: Update, context: BotContext) -> None:
    """First of all handlers: in a group no admin registered, a command gets no answer and a button only
    a short "not available"; nothing else runs. The bot's own arrival or departure passes."""
    chat = update.effective_chat
    if chat is None or chat.type == "private" or update.my_chat_member is not None:
        return
    message = update.effective_message
    if message is not None and (message.migrate_from_chat_id or message.migrate_to_chat_id):
        return
    if await service.is_served(context.deps.uow, chat.id):
        return
    query = update.callback_query
    if query is not None:
        language = bot_language(query.from_user.language_code)
        await query.answer(t(language, "group.not_available"))
    raise ApplicationHandlerStop


async def bot_membership_changed(update: Update, context: BotContext, change: ChatMemberUpdated) -> None:
    """The bot was added to a group (registered when an admin did it, else it leaves) or removed from it."""
    was_in = change.old_chat_member.status not in ABSENT
    is_in = change.new_chat_member.status not in ABSENT
    chat, by = change.chat, change.from_user
    now = context.deps.clock.now()
    if was_in and not is_in:
        await service.bot_removed(context.deps.uow, chat.id, by.id, now)
        return
    if was_in or not is_in:
        return  # a change of rights while staying: nothing to decide
    registered = await service.bot_added(context.deps.uow, chat.id, chat.title or "", by.id, now)
    language = bot_language(by.language_code)
    if registered is None:
        log.info("bot added to group %s by non-admin %s: leaving", chat.id, by.id)
        await _say_and_leave(context, chat.id, t(language, "group.closed"))
        return
    admin = registered.admin
    who = f"{admin.display_name} ({admin.delegation.code})" if admin else by.full_name
    await _say(context, chat.id, t(admin.language if admin else language, "group.registered", admin=who))


async def group_migrated(update: Update, context: BotContext) -> None:
    """A group became a supergroup: its registration moves to the new chat id."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat_id
    elif message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    else:
        return
    await service.group_moved(context.deps.uow, old, new, context.deps.clock.now())


@guarded
async def groups_command(update: Update, context: BotContext) -> None:
    """The registered groups, each with a button to unregister it."""
    found = await service.registered_groups(context.deps.uow, actor_of(update))
    viewer = await context.viewer(update)
    lang = viewer.language
    if not found:
        await show(update, t(lang, "groups.none"))
        return
    lines = [t(lang, "groups.header", count=len(found))]
    for entry in found:
        group, admin = entry.group, entry.admin
        lines.append(
            t(
                lang,
                "groups.line",
                title=group.title,
                chat_id=group.chat_id,
                when=local(group.registered_at, viewer),
                admin=f"{admin.display_name} ({admin.delegation.code})" if admin else "—",
            )
        )
    buttons = [
        button(
            t(lang, "groups.unregister", title=shorten(e.group.title, 30)),
            AskUnregister(ChatId(e.group.chat_id)),
        )
        for e in found[:30]
    ]
    await show(update, "\n".join(lines), keyboard(*grid(buttons, 1)))


@guarded
async def unregister_ask(update: Update, context: BotContext) -> None:
    """Confirm before unregistering: the bot will leave the group."""
    group = await service.registered_group(
        context.deps.uow, actor_of(update), AskUnregister.read(update).chat
    )
    viewer = await context.viewer(update)
    lang = viewer.language
    await show(
        update,
        t(lang, "groups.unregister_confirm", title=group.title),
        keyboard(
            [
                button(t(lang, "groups.unregister_yes"), Unregister(ChatId(group.chat_id))),
                button(t(lang, "groups.unregister_no"), GroupsList()),
            ]
        ),
    )


@guarded
async def unregister(update: Update, context: BotContext) -> None:
    """Unregister (the service checks the admin and audits it), say goodbye in the group, and leave."""
    group = await service.unregister_group(
        context.deps.uow, actor_of(update), Unregister.read(update).chat, context.deps.clock.now()
    )
    viewer = await context.viewer(update)
    await _say_and_leave(context, group.chat_id, t(viewer.language, "group.unregistered_bye"))
    await show(update, t(viewer.language, "groups.unregistered", title=group.title))


@guarded
async def back_to_list(update: Update, context: BotContext) -> None:
    """'No, keep': the list again."""
    GroupsList.read(update)
    await groups_command(update, context)


async def _say(context: BotContext, chat_id: int, text: str) -> None:
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError as exc:  # no right to write there: nothing more to say
        log.warning("could not write in group %s: %s", chat_id, exc)


async def _say_and_leave(context: BotContext, chat_id: int, text: str) -> None:
    await _say(context, chat_id, text)
    try:
        await context.bot.leave_chat(chat_id)
    except TelegramError as exc:  # already removed
        log.warning("could not leave group %s: %s", chat_id, exc)


def handlers() -> list[object]:
    """Group migrations, /groups and its buttons."""
    return [
        MessageHandler(filters.StatusUpdate.MIGRATE, group_migrated),
        CommandHandler("groups", groups_command, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(unregister_ask, pattern=AskUnregister.pattern),
        CallbackQueryHandler(unregister, pattern=Unregister.pattern),
        CallbackQueryHandler(back_to_list, pattern=GroupsList.pattern),
    ]
