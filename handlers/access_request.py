"""A guest requests access (privacy notice, name, delegation, note); admins approve or refuse with buttons."""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.model import AccessRequest, Member, Viewer
from bot.domain.outbox import OutboxKind, Outgoing
from bot.domain.reveals import Readers, Reveals
from bot.domain.vocab import Role
from bot.services import access_requests as service
from bot.services.catalog import delegations
from handlers import privacy
from handlers.buttons import ContinueRequest, RequestAccess, ShowRequest
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.dates import local_date
from handlers.flow import END, Draft, draft, drop, guided, keep
from handlers.keyboards import button, grid, keyboard
from handlers.menu import set_member_menu
from handlers.respond import actor_of, guarded, reply, show
from handlers.texts import Html, t

NOTICE, NAME, DELEGATION, NOTE = range(4)
FLOW = "request"
TEXT = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE


@dataclass(frozen=True)
class RequestDelegation(CallbackData, prefix="req:del"):
    """The guest's delegation."""

    code: str


@dataclass(frozen=True)
class SkipNote(CallbackData, prefix="req:skip"):
    """No note for the admins."""


@dataclass(frozen=True)
class ApproveRequest(CallbackData, prefix="req:ok"):
    """An admin approves the request with a role."""

    request: int
    role: Role


@dataclass(frozen=True)
class RefuseRequest(CallbackData, prefix="req:no"):
    """An admin refuses the request: asks to confirm."""

    request: int


@dataclass(frozen=True)
class RefuseConfirmed(CallbackData, prefix="req:nook"):
    """Yes, refuse that request."""

    request: int


class RequestAnswers(Draft):
    """The access request's answers so far."""

    name: str | None = None
    delegation: str | None = None


@guarded
async def show_notice(update: Update, context: BotContext) -> int:
    """Start: a member or someone already waiting is told so; a guest first sees the privacy notice."""
    RequestAccess.read(update)
    user = update.effective_user
    assert user is not None
    await service.can_request_access(context.deps.uow, user.id)
    keep(context, RequestAnswers())
    viewer = await context.viewer(update)
    await show(update, *privacy.notice(viewer.language, privacy.REQUEST))
    return NOTICE


@guarded
async def ask_name(update: Update, context: BotContext) -> int:
    """The guest continued after the privacy notice: ask their name."""
    ContinueRequest.read(update)
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "request.ask_name"))
    return NAME


@guarded
async def got_name(update: Update, context: BotContext) -> int:
    """Keep the name; offer the delegations as buttons."""
    assert update.message is not None and update.message.text is not None
    name = service.check_name(update.message.text)
    keep(context, draft(context, RequestAnswers).model_copy(update={"name": name}))
    viewer = await context.viewer(update)
    found = await delegations(context.deps.uow)
    buttons = [button(d.code, RequestDelegation(d.code)) for d in found]
    await reply(update, t(viewer.language, "request.ask_delegation"), keyboard(*grid(buttons, 5)))
    return DELEGATION


@guarded
async def got_delegation(update: Update, context: BotContext) -> int:
    """Keep the delegation; ask for a note, which may be skipped."""
    code = RequestDelegation.read(update).code
    keep(context, draft(context, RequestAnswers).model_copy(update={"delegation": code}))
    viewer = await context.viewer(update)
    skip = keyboard([button(t(viewer.language, "request.skip_note"), SkipNote())])
    await show(update, t(viewer.language, "request.ask_note", code=code), skip)
    return NOTE


@guarded
async def got_note(update: Update, context: BotContext) -> int:
    """Submit with the note typed (or none), tell the admins, tell the guest."""
    if update.callback_query is not None:
        SkipNote.read(update)
    note = update.message.text if update.message and update.message.text else ""
    answers = draft(context, RequestAnswers)
    if answers.name is None or answers.delegation is None:
        raise InvalidInput("error.stale")
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    viewer = await context.viewer(update)
    await service.submit_access_request(
        context.deps.uow,
        user.id,
        chat.id,
        answers.name,
        answers.delegation,
        note,
        viewer.language,
        context.deps.clock.now(),
        notify_admin=admin_notice,
        username=user.username,
    )
    drop(context, RequestAnswers)
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
            button(t(language, "request.approve_contact"), ApproveRequest(request.id, Role.CONTACT)),
            button(t(language, "request.approve_observer"), ApproveRequest(request.id, Role.OBSERVER)),
        ],
        [button(t(language, "request.refuse"), RefuseRequest(request.id))],
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
async def approve(update: Update, context: BotContext) -> None:
    """An admin approves with a role."""
    pressed = ApproveRequest.read(update)
    await _decide(update, context, pressed.request, pressed.role)


@guarded
async def refuse_ask(update: Update, context: BotContext) -> None:
    """Refuse: asked once; 'No' shows the request again with its buttons."""
    request = await service.undecided_request(
        context.deps.uow, actor_of(update), RefuseRequest.read(update).request
    )
    lang = (await context.viewer(update)).language
    answers = [
        button(t(lang, "request.refuse_yes"), RefuseConfirmed(request.id)),
        button(t(lang, "request.refuse_no"), ShowRequest(request.id)),
    ]
    question = t(
        lang, "request.refuse_confirm", id=request.id, name=request.name, code=request.delegation_code
    )
    await show(update, question, keyboard(answers))


@guarded
async def refuse(update: Update, context: BotContext) -> None:
    """An admin refuses (confirmed); the service checks the admin and that nobody decided first."""
    await _decide(update, context, RefuseConfirmed.read(update).request, None)


async def _decide(update: Update, context: BotContext, request_id: int, role: Role | None) -> None:
    """An admin's decision: the service checks the admin and that nobody decided first."""
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
    request_id = ShowRequest.read(update).request
    card = await service.access_request(context.deps.uow, actor_of(update), request_id)
    viewer = await context.viewer(update)
    text, markup = request_card(viewer, card)
    await show(update, text, markup if card.request.status.value == "pending" else None)


def handlers() -> list[object]:
    """The request flow, then the stateless admin buttons."""
    flow = guided(
        FLOW,
        entry_points=[CallbackQueryHandler(show_notice, pattern=RequestAccess.pattern)],
        states={
            NOTICE: [CallbackQueryHandler(ask_name, pattern=ContinueRequest.pattern)],
            NAME: [MessageHandler(TEXT, got_name)],
            DELEGATION: [CallbackQueryHandler(got_delegation, pattern=RequestDelegation.pattern)],
            NOTE: [MessageHandler(TEXT, got_note), CallbackQueryHandler(got_note, pattern=SkipNote.pattern)],
        },
        answers=RequestAnswers,
    )
    return [
        flow,
        CallbackQueryHandler(approve, pattern=ApproveRequest.pattern),
        CallbackQueryHandler(refuse_ask, pattern=RefuseRequest.pattern),
        CallbackQueryHandler(refuse, pattern=RefuseConfirmed.pattern),
        CallbackQueryHandler(show_request, pattern=ShowRequest.pattern),
    ]
