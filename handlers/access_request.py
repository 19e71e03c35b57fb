"""A guest requests access (privacy notice, name, delegation, note); admins approve or refuse with buttons."""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.model import AccessRequest, Member, Viewer
from bot.domain.outbox import OutboxKind, Outgoing
from bot.domain.reveals import Readers, Reveals
from bot.domain.vocab import Role
from bot.services import access_requests as service
from bot.services.catalog import delegations
from bot.services.members import parse_role
from handlers import privacy
from handlers.context import BotContext
from handlers.dates import local_date
from handlers.flow import END, clear, guided, scratch
from handlers.keyboards import as_int, button, grid, keyboard, parts, pattern
from handlers.menu import set_member_menu
from handlers.respond import actor_of, guarded, reply, show
from handlers.texts import Html, t

NOTICE, NAME, DELEGATION, NOTE = range(4)
FLOW = "request"
TEXT = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE


@guarded
async def show_notice(update: Update, context: BotContext) -> int:
    """Start: a member or someone already waiting is told so; a guest first sees the privacy notice."""
    user = update.effective_user
    assert user is not None
    await service.can_request_access(context.deps.uow, user.id)
    clear(context, FLOW)
    viewer = await context.viewer(update)
    await show(update, *privacy.notice(viewer.language, privacy.REQUEST))
    return NOTICE


@guarded
async def ask_name(update: Update, context: BotContext) -> int:
    """The guest continued after the privacy notice: ask their name."""
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "request.ask_name"))
    return NAME


@guarded
async def got_name(update: Update, context: BotContext) -> int:
    """Keep the name; offer the delegations as buttons."""
    assert update.message is not None and update.message.text is not None
    scratch(context, FLOW)["name"] = service.check_name(update.message.text)
    viewer = await context.viewer(update)
    found = await delegations(context.deps.uow)
    buttons = [button(d.code, "req", "del", d.code) for d in found]
    await reply(update, t(viewer.language, "request.ask_delegation"), keyboard(*grid(buttons, 5)))
    return DELEGATION


@guarded
async def got_delegation(update: Update, context: BotContext) -> int:
    """Keep the delegation; ask for a note, which may be skipped."""
    data = parts(update.callback_query.data if update.callback_query else None, "req", 2)
    if data is None or data[0] != "del":
        raise InvalidInput("error.stale")
    scratch(context, FLOW)["delegation"] = data[1]
    viewer = await context.viewer(update)
    skip = keyboard([button(t(viewer.language, "request.skip_note"), "req", "skip")])
    await show(update, t(viewer.language, "request.ask_note", code=data[1]), skip)
    return NOTE


@guarded
async def got_note(update: Update, context: BotContext) -> int:
    """Submit with the note typed (or none), tell the admins, tell the guest."""
    note = update.message.text if update.message and update.message.text else ""
    answers = scratch(context, FLOW)
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    viewer = await context.viewer(update)
    await service.submit_access_request(
        context.deps.uow,
        user.id,
        chat.id,
        answers.get("name", ""),
        answers.get("delegation", ""),
        note,
        viewer.language,
        context.deps.clock.now(),
        notify_admin=admin_notice,
        username=user.username,
    )
    clear(context, FLOW)
    context.deps.outbox.wake()
    await show(update, t(viewer.language, "request.sent"))
    return END


def admin_notice(admin: Member, card: service.RequestCard) -> Outgoing:
    """The request as one admin gets it, with the decision buttons."""
    request = card.request
    text, markup = request_card(Viewer(admin.telegram_user_id, admin, admin.language), card)
    return Outgoing(
        chat_id=admin.telegram_user_id,
        kind=OutboxKind.ACCESS,
        dedupe_key=f"access:{request.id}:admin:{admin.id}",
        parts=(text,),
        member_id=admin.id,
        markup=markup.to_dict() if markup else None,
        reveals=Reveals(readers=Readers.ADMINS),
    )


def requester_notice(request: AccessRequest, member: Member | None) -> Outgoing:
    lang = request.language
    text = (
        t(lang, "request.you_are_in", role=t(lang, f"role.{member.role.value}"))
        if member
        else t(lang, "request.you_are_refused")
    )
    return Outgoing(
        chat_id=request.chat_id,
        kind=OutboxKind.ACCESS,
        dedupe_key=f"access:{request.id}:decision",
        parts=(text,),
        member_id=member.id if member else None,
        reveals=Reveals(readers=Readers.ANYONE),
    )


def request_card(viewer: Viewer, card: service.RequestCard) -> tuple[str, InlineKeyboardMarkup | None]:
    """The request as admins see it: who already is this account, how to reach them, decision buttons."""
    request, language = card.request, viewer.language
    text = t(
        language,
        "request.card",
        id=request.id,
        name=request.name,
        code=request.delegation_code,
        note=request.note or "—",
        contact=Html(contact(request)),
    )
    if card.known is not None:
        text += "\n\n" + known_account(viewer, card.known)
    markup = keyboard(
        [
            button(t(language, "request.approve_contact"), "req", "ok", request.id, Role.CONTACT.value),
            button(t(language, "request.approve_observer"), "req", "ok", request.id, Role.OBSERVER.value),
        ],
        [button(t(language, "request.refuse"), "req", "no", request.id, "-")],
    )
    return text, markup


def contact(request: AccessRequest) -> str:
    """A mention link that opens the requester's profile, their @username if any, and their user id."""
    link = f'<a href="tg://user?id={request.telegram_user_id}">{html.escape(request.name)}</a>'
    handle = f" · @{request.username}" if request.username else ""
    return f"{link}{handle} · id {request.telegram_user_id}"


def known_account(viewer: Viewer, member: Member) -> str:
    """The member record this Telegram account already has: name, delegation, role, status and since when."""
    lang = viewer.language
    values: dict[str, object] = {
        "name": member.display_name,
        "code": member.delegation.code,
        "role": t(lang, f"role.{member.role.value}"),
        "status": t(lang, f"members.status_{member.status.value}"),
    }
    if member.status_since is None:
        return t(lang, "request.known_undated", **values)
    return t(lang, "request.known", since=local_date(member.status_since, viewer), **values)


@guarded
async def decide(update: Update, context: BotContext) -> None:
    """An admin's decision: the service checks the admin and that nobody decided first."""
    data = parts(update.callback_query.data if update.callback_query else None, "req", 3)
    request_id = as_int(data[1]) if data else None
    if data is None or request_id is None or data[0] not in ("ok", "no"):
        raise InvalidInput("error.stale")
    role = parse_role(data[2]) if data[0] == "ok" else None
    decision = await service.decide_access_request(
        context.deps.uow,
        actor_of(update),
        request_id,
        role,
        context.deps.clock.now(),
        notify_requester=requester_notice,
    )
    context.deps.outbox.wake()
    viewer = await context.viewer(update)
    request = decision.request
    outcome = "request.decided_ok" if decision.member else "request.decided_no"
    role_name = t(viewer.language, f"role.{role.value}") if role else ""
    await show(
        update,
        t(
            viewer.language,
            outcome,
            id=request.id,
            name=request.name,
            code=request.delegation_code,
            role=role_name,
        ),
    )
    member = decision.member
    if member is not None:
        await set_member_menu(context.bot, request.chat_id, member.role, member.language)


@guarded
async def show_request(update: Update, context: BotContext) -> None:
    """Re-show a pending request with its buttons (from /members)."""
    data = parts(update.callback_query.data if update.callback_query else None, "req", 2)
    request_id = as_int(data[1]) if data and data[0] == "show" else None
    if request_id is None:
        raise InvalidInput("error.stale")
    card = await service.access_request(context.deps.uow, actor_of(update), request_id)
    viewer = await context.viewer(update)
    text, markup = request_card(viewer, card)
    await show(update, text, markup if card.request.status.value == "pending" else None)


def handlers() -> list[object]:
    """The request flow, then the stateless admin buttons."""
    flow = guided(
        FLOW,
        entry_points=[CallbackQueryHandler(show_notice, pattern="^req:start$")],
        states={
            NOTICE: [CallbackQueryHandler(ask_name, pattern="^req:agree$")],
            NAME: [MessageHandler(TEXT, got_name)],
            DELEGATION: [CallbackQueryHandler(got_delegation, pattern=pattern("req") + "del:")],
            NOTE: [MessageHandler(TEXT, got_note), CallbackQueryHandler(got_note, pattern="^req:skip$")],
        },
    )
    return [
        flow,
        CallbackQueryHandler(decide, pattern=r"^req:(ok|no):"),
        CallbackQueryHandler(show_request, pattern=r"^req:show:"),
    ]
