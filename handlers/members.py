"""/members: admins list members by delegation, open one, change a role, revoke, reinstate or erase."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.model import Member, Viewer
from bot.domain.vocab import MemberStatus, Role
from bot.services import members as service
from bot.services.access_requests import pending_requests
from bot.services.privacy import erasable_member, erase_member
from handlers.buttons import MoveMember, ShowMember, ShowRequest
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.invites import describe
from handlers.keyboards import button, keyboard
from handlers.menu import set_member_menu
from handlers.respond import actor_of, guarded, show
from handlers.texts import t

PAGE = 10


@dataclass(frozen=True)
class MembersPage(CallbackData, prefix="mem:page"):
    """◀ ▶ through the list, and 'back' on a card."""

    page: int


@dataclass(frozen=True)
class ChangeRole(CallbackData, prefix="mem:role"):
    """'Make them contact/observer' on a card (admin goes through AskMakeAdmin)."""

    member: int
    role: Role


@dataclass(frozen=True)
class AskMakeAdmin(CallbackData, prefix="mem:adm"):
    """'Make them admin' on a card: asks to confirm."""

    member: int


@dataclass(frozen=True)
class MakeAdmin(CallbackData, prefix="mem:admok"):
    """Making them admin, confirmed."""

    member: int


@dataclass(frozen=True)
class AskRevoke(CallbackData, prefix="mem:rev"):
    """'Revoke' on a card: asks to confirm."""

    member: int


@dataclass(frozen=True)
class Revoke(CallbackData, prefix="mem:revok"):
    """The revocation, confirmed."""

    member: int


@dataclass(frozen=True)
class Reinstate(CallbackData, prefix="mem:rein"):
    """'Reinstate' on a revoked member's card."""

    member: int


@dataclass(frozen=True)
class AskErase(CallbackData, prefix="mem:era"):
    """'Erase' on a card: asks to confirm."""

    member: int


@dataclass(frozen=True)
class Erase(CallbackData, prefix="mem:erase"):
    """The erasure, confirmed."""

    member: int


@guarded
async def members_command(update: Update, context: BotContext) -> None:
    """The first page of members, with pending access requests on top."""
    await _list(update, context, 0)


@guarded
async def members_page(update: Update, context: BotContext) -> None:
    """Another page of the list."""
    await _list(update, context, MembersPage.read(update).page)


async def _list(update: Update, context: BotContext, page: int) -> None:
    actor = actor_of(update)
    everyone = await service.list_members(context.deps.uow, actor)
    waiting = await pending_requests(context.deps.uow, actor)
    viewer = await context.viewer(update)
    lang = viewer.language
    pages = max(1, -(-len(everyone) // PAGE))
    page = min(page, pages - 1)
    shown = everyone[page * PAGE : (page + 1) * PAGE]
    lines = [t(lang, "members.header", count=len(everyone), page=page + 1, pages=pages)]
    lines += [t(lang, "members.waiting", count=len(waiting))] if waiting else []
    rows = [
        [button(t(lang, "members.review", name=r.name[:24], code=r.delegation_code), ShowRequest(r.id))]
        for r in waiting[:5]
    ]
    rows += [[button(_label(lang, m), ShowMember(m.id))] for m in shown]
    nav = [button("◀", MembersPage(page - 1))] if page > 0 else []
    nav += [button("▶", MembersPage(page + 1))] if page + 1 < pages else []
    await show(update, "\n".join(lines), keyboard(*rows, nav))


def _label(language: str, member: Member) -> str:
    status = "" if member.active else " 🗑" if member.erased else " ⛔"
    role = t(language, f"role.{member.role.value}")
    return f"{member.delegation.code} · {member.display_name[:28]} · {role}{status}"


@guarded
async def member_show(update: Update, context: BotContext) -> None:
    """One member's card with the actions that apply."""
    member = await service.member_card(context.deps.uow, actor_of(update), ShowMember.read(update).member)
    viewer = await context.viewer(update)
    await show(update, *card(viewer, member))


def card(viewer: Viewer, member: Member) -> tuple[str, InlineKeyboardMarkup | None]:
    """A member as an admin sees them, with role, revoke and reinstate buttons."""
    lang = viewer.language
    text = t(
        lang,
        "members.card",
        name=member.display_name,
        code=member.delegation.code,
        delegation=member.delegation.name,
        role=t(lang, f"role.{member.role.value}"),
        status=t(lang, "members.status_erased" if member.erased else f"members.status_{member.status.value}"),
        reachable=t(lang, "members.reachable" if member.reachable else "members.unreachable"),
    )
    back = [button(t(lang, "members.back"), MembersPage(0))]
    if viewer.member is not None and viewer.member.id == member.id:
        return text + "\n" + t(lang, "members.this_is_you"), keyboard(back)
    if member.erased:
        return text, keyboard(back)
    erase = [button(t(lang, "members.erase"), AskErase(member.id))]
    if not member.active:
        return text, keyboard([button(t(lang, "members.reinstate"), Reinstate(member.id))], erase, back)
    roles = [
        button(
            t(lang, "members.make", role=t(lang, f"role.{r.value}")),
            AskMakeAdmin(member.id) if r is Role.ADMIN else ChangeRole(member.id, r),
        )
        for r in Role
        if r is not member.role
    ]
    return text, keyboard(
        roles,
        [button(t(lang, "members.move"), MoveMember(member.id))],
        [button(t(lang, "members.revoke"), AskRevoke(member.id))],
        erase,
        back,
    )


@guarded
async def member_role(update: Update, context: BotContext) -> None:
    """Make contact or observer; the member's command menu follows. Admin is asked first (AskMakeAdmin)."""
    pressed = ChangeRole.read(update)
    if pressed.role is Role.ADMIN:
        raise InvalidInput("error.stale")
    await _change_role(update, context, pressed.member, pressed.role)


@guarded
async def member_admin_ask(update: Update, context: BotContext) -> None:
    """Ask to confirm making a member admin."""
    member = await service.revocable_member(
        context.deps.uow, actor_of(update), AskMakeAdmin.read(update).member
    )
    await _confirm(update, context, member, "admin", MakeAdmin(member.id))


@guarded
async def member_make_admin(update: Update, context: BotContext) -> None:
    """Make admin (confirmed); the service checks the presser is an admin."""
    await _change_role(update, context, MakeAdmin.read(update).member, Role.ADMIN)


async def _change_role(update: Update, context: BotContext, member_id: int, role: Role) -> None:
    change = await service.change_role(
        context.deps.uow, actor_of(update), member_id, role, context.deps.clock.now()
    )
    member = change.member
    await set_member_menu(context.bot, member.telegram_user_id, member.role, member.language)
    await _show_change(update, context, change)


@guarded
async def member_revoke_ask(update: Update, context: BotContext) -> None:
    """Ask to confirm a revocation."""
    member_id = AskRevoke.read(update).member
    member = await service.revocable_member(context.deps.uow, actor_of(update), member_id)
    await _confirm(update, context, member, "revoke", Revoke(member.id))


async def _confirm(update: Update, context: BotContext, member: Member, what: str, yes: CallbackData) -> None:
    """The question `members.<what>_confirm` with its yes (`yes`) and no (the card again) buttons."""
    lang = (await context.viewer(update)).language
    question = t(lang, f"members.{what}_confirm", name=member.display_name, code=member.delegation.code)
    answers = [
        button(t(lang, f"members.{what}_yes"), yes),
        button(t(lang, f"members.{what}_no"), ShowMember(member.id)),
    ]
    await show(update, question, keyboard(answers))


@guarded
async def member_revoke(update: Update, context: BotContext) -> None:
    """Revoke (confirmed); access ends at the member's next update."""
    await _set_status(update, context, Revoke.read(update).member, MemberStatus.REVOKED)


@guarded
async def member_reinstate(update: Update, context: BotContext) -> None:
    """Reinstate; access returns at the member's next update."""
    await _set_status(update, context, Reinstate.read(update).member, MemberStatus.ACTIVE)


async def _set_status(update: Update, context: BotContext, member_id: int, status: MemberStatus) -> None:
    change = await service.set_status(
        context.deps.uow, actor_of(update), member_id, status, context.deps.clock.now()
    )
    member = change.member
    await set_member_menu(
        context.bot, member.telegram_user_id, member.role if member.active else None, member.language
    )
    await _show_change(update, context, change)


async def _show_change(update: Update, context: BotContext, change: service.MemberChange) -> None:
    """The member's card, and the invitations of theirs the change withdrew, if any."""
    viewer = await context.viewer(update)
    text, markup = card(viewer, change.member)
    if change.withdrawn:
        lines = [t(viewer.language, "members.invites_withdrawn", count=len(change.withdrawn))]
        lines += [describe(viewer, invite) for invite in change.withdrawn]
        text += "\n\n" + "\n".join(lines)
    await show(update, text, markup)


@guarded
async def member_erase_ask(update: Update, context: BotContext) -> None:
    """Ask to confirm an erasure, saying what it does and that it cannot be undone."""
    member = await erasable_member(context.deps.uow, actor_of(update), AskErase.read(update).member)
    await _confirm(update, context, member, "erase", Erase(member.id))


@guarded
async def member_erase(update: Update, context: BotContext) -> None:
    """Erase (confirmed): the card then shows the pseudonym; the account's menu becomes a guest's."""
    actor, member_id = actor_of(update), Erase.read(update).member
    erasure = await erase_member(context.deps.uow, actor, member_id, context.deps.clock.now())
    await set_member_menu(context.bot, erasure.telegram_user_id, None, "en")
    viewer = await context.viewer(update)
    text, markup = card(viewer, await service.member_card(context.deps.uow, actor, member_id))
    done = t(
        viewer.language,
        "members.erased",
        pseudonym=erasure.pseudonym,
        requests=erasure.requests,
        messages=erasure.messages,
        follows=erasure.follows,
        subscriptions=erasure.subscriptions,
    )
    await show(update, f"{done}\n\n{text}", markup)


def handlers() -> list[object]:
    """/members and its buttons."""
    return [
        CommandHandler("members", members_command, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(members_page, pattern=MembersPage.pattern),
        CallbackQueryHandler(member_show, pattern=ShowMember.pattern),
        CallbackQueryHandler(member_role, pattern=ChangeRole.pattern),
        CallbackQueryHandler(member_admin_ask, pattern=AskMakeAdmin.pattern),
        CallbackQueryHandler(member_make_admin, pattern=MakeAdmin.pattern),
        CallbackQueryHandler(member_revoke_ask, pattern=AskRevoke.pattern),
        CallbackQueryHandler(member_revoke, pattern=Revoke.pattern),
        CallbackQueryHandler(member_reinstate, pattern=Reinstate.pattern),
        CallbackQueryHandler(member_erase_ask, pattern=AskErase.pattern),
        CallbackQueryHandler(member_erase, pattern=Erase.pattern),
    ]
