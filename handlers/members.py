"""/members: admins list members by delegation, open one, change a role, revoke or reinstate."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.model import Member, Viewer
from bot.domain.vocab import MemberStatus, Role
from bot.services import members as service
from bot.services.access_requests import pending_requests
from handlers.context import BotContext
from handlers.invites import describe
from handlers.keyboards import as_int, button, keyboard, parts
from handlers.menu import set_member_menu
from handlers.respond import actor_of, guarded, show
from handlers.texts import t

PAGE = 10


def _target(update: Update, action: str) -> int:
    data = parts(update.callback_query.data if update.callback_query else None, "mem", 2)
    member_id = as_int(data[1]) if data and data[0] == action else None
    if member_id is None:
        raise InvalidInput("error.stale")
    return member_id


@guarded
async def members_command(update: Update, context: BotContext) -> None:
    """The first page of members, with pending access requests on top."""
    await _list(update, context, 0)


@guarded
async def members_page(update: Update, context: BotContext) -> None:
    """Another page of the list."""
    await _list(update, context, _target(update, "page"))


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
        [button(t(lang, "members.review", name=r.name[:24], code=r.delegation_code), "req", "show", r.id)]
        for r in waiting[:5]
    ]
    rows += [[button(_label(lang, m), "mem", "show", m.id)] for m in shown]
    nav = [button("◀", "mem", "page", page - 1)] if page > 0 else []
    nav += [button("▶", "mem", "page", page + 1)] if page + 1 < pages else []
    await show(update, "\n".join(lines), keyboard(*rows, nav))


def _label(language: str, member: Member) -> str:
    status = "" if member.active else " ⛔"
    role = t(language, f"role.{member.role.value}")
    return f"{member.delegation.code} · {member.display_name[:28]} · {role}{status}"


@guarded
async def member_show(update: Update, context: BotContext) -> None:
    """One member's card with the actions that apply."""
    member = await service.member_card(context.deps.uow, actor_of(update), _target(update, "show"))
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
        status=t(lang, f"members.status_{member.status.value}"),
        reachable=t(lang, "members.reachable" if member.reachable else "members.unreachable"),
    )
    back = [button(t(lang, "members.back"), "mem", "page", 0)]
    if viewer.member is not None and viewer.member.id == member.id:
        return text + "\n" + t(lang, "members.this_is_you"), keyboard(back)
    if not member.active:
        return text, keyboard([button(t(lang, "members.reinstate"), "mem", "rein", member.id)], back)
    roles = [
        button(t(lang, "members.make", role=t(lang, f"role.{r.value}")), "mem", f"to{r.value[:3]}", member.id)
        for r in Role
        if r is not member.role
    ]
    return text, keyboard(
        roles,
        [button(t(lang, "members.revoke"), "mem", "rev", member.id)],
        back,
    )


ROLE_ACTIONS = {f"to{r.value[:3]}": r for r in Role}


@guarded
async def member_role(update: Update, context: BotContext) -> None:
    """Change the role; the member's command menu follows."""
    data = parts(update.callback_query.data if update.callback_query else None, "mem", 2)
    role = ROLE_ACTIONS.get(data[0]) if data else None
    if role is None:
        raise InvalidInput("error.stale")
    change = await service.change_role(
        context.deps.uow,
        actor_of(update),
        _target(update, data[0] if data else ""),
        role,
        context.deps.clock.now(),
    )
    member = change.member
    await set_member_menu(context.bot, member.telegram_user_id, member.role, member.language)
    await _show_change(update, context, change)


@guarded
async def member_revoke_ask(update: Update, context: BotContext) -> None:
    """Ask to confirm a revocation."""
    member = await service.revocable_member(context.deps.uow, actor_of(update), _target(update, "rev"))
    viewer = await context.viewer(update)
    lang = viewer.language
    await show(
        update,
        t(lang, "members.revoke_confirm", name=member.display_name, code=member.delegation.code),
        keyboard(
            [
                button(t(lang, "members.revoke_yes"), "mem", "revok", member.id),
                button(t(lang, "members.revoke_no"), "mem", "show", member.id),
            ]
        ),
    )


@guarded
async def member_status(update: Update, context: BotContext) -> None:
    """Revoke (confirmed) or reinstate; access ends or returns at the member's next update."""
    data = parts(update.callback_query.data if update.callback_query else None, "mem", 2)
    action = data[0] if data else ""
    status = {"revok": MemberStatus.REVOKED, "rein": MemberStatus.ACTIVE}.get(action)
    if status is None:
        raise InvalidInput("error.stale")
    change = await service.set_status(
        context.deps.uow, actor_of(update), _target(update, action), status, context.deps.clock.now()
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


def handlers() -> list[object]:
    """/members and its buttons."""
    return [
        CommandHandler("members", members_command, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(members_page, pattern="^mem:page:"),
        CallbackQueryHandler(member_show, pattern="^mem:show:"),
        CallbackQueryHandler(member_role, pattern="^mem:to(adm|con|obs):"),
        CallbackQueryHandler(member_revoke_ask, pattern="^mem:rev:"),
        CallbackQueryHandler(member_status, pattern="^mem:(revok|rein):"),
    ]
