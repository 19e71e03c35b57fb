"""/members: admins list members by delegation, open one, change a role, revoke, reinstate or erase."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.model import Member, Viewer
from bot.domain.vocab import MemberStatus, Role
from bot.services import members as service
from bot.services.access_requests import pending_requests
from bot.services.privacy import erasable_member, erase_member
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
    status = "" if member.active else " 🗑" if member.erased else " ⛔"
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
        status=t(lang, "members.status_erased" if member.erased else f"members.status_{member.status.value}"),
        reachable=t(lang, "members.reachable" if member.reachable else "members.unreachable"),
    )
    back = [button(t(lang, "members.back"), "mem", "page", 0)]
    if viewer.member is not None and viewer.member.id == member.id:
        return text + "\n" + t(lang, "members.this_is_you"), keyboard(back)
    if member.erased:
        return text, keyboard(back)
    erase = [button(t(lang, "members.erase"), "mem", "era", member.id)]
    if not member.active:
        return text, keyboard([button(t(lang, "members.reinstate"), "mem", "rein", member.id)], erase, back)
    roles = [
        button(t(lang, "members.make", role=t(lang, f"role.{r.value}")), "mem", f"to{r.value[:3]}", member.id)
        for r in Role
        if r is not member.role
    ]
    return text, keyboard(
        roles,
        [button(t(lang, "members.move"), "mmv", "ask", member.id)],
        [button(t(lang, "members.revoke"), "mem", "rev", member.id)],
        erase,
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
    await _confirm(update, context, member, "revoke", "revok")


async def _confirm(update: Update, context: BotContext, member: Member, what: str, yes: str) -> None:
    """The question `members.<what>_confirm` with its yes (callback `mem:<yes>:<id>`) and no buttons."""
    lang = (await context.viewer(update)).language
    question = t(lang, f"members.{what}_confirm", name=member.display_name, code=member.delegation.code)
    answers = [
        button(t(lang, f"members.{what}_yes"), "mem", yes, member.id),
        button(t(lang, f"members.{what}_no"), "mem", "show", member.id),
    ]
    await show(update, question, keyboard(answers))


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


@guarded
async def member_erase_ask(update: Update, context: BotContext) -> None:
    """Ask to confirm an erasure, saying what it does and that it cannot be undone."""
    member = await erasable_member(context.deps.uow, actor_of(update), _target(update, "era"))
    await _confirm(update, context, member, "erase", "erase")


@guarded
async def member_erase(update: Update, context: BotContext) -> None:
    """Erase (confirmed): the card then shows the pseudonym; the account's menu becomes a guest's."""
    actor, member_id = actor_of(update), _target(update, "erase")
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
        CallbackQueryHandler(members_page, pattern="^mem:page:"),
        CallbackQueryHandler(member_show, pattern="^mem:show:"),
        CallbackQueryHandler(member_role, pattern="^mem:to(adm|con|obs):"),
        CallbackQueryHandler(member_revoke_ask, pattern="^mem:rev:"),
        CallbackQueryHandler(member_status, pattern="^mem:(revok|rein):"),
        CallbackQueryHandler(member_erase_ask, pattern="^mem:era:"),
        CallbackQueryHandler(member_erase, pattern="^mem:erase:"),
    ]
