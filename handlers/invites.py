"""/invite: an admin picks role, delegation, uses and expiry with buttons and gets a deep link."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain import invites as tokens
from bot.domain.errors import InvalidInput
from bot.domain.model import Invite, Viewer
from bot.domain.vocab import Role
from bot.services import invites as service
from bot.services.catalog import delegations
from bot.services.members import parse_role
from handlers.context import BotContext
from handlers.dates import local
from handlers.flow import END, clear, guided, scratch
from handlers.keyboards import as_int, button, grid, keyboard, parts
from handlers.respond import actor_of, guarded, show
from handlers.texts import t

ROLE, DELEGATION, USES, DAYS = range(4)
FLOW = "invite"


def _choice(update: Update, step: str) -> str:
    data = parts(update.callback_query.data if update.callback_query else None, "inv", 2)
    if data is None or data[0] != step:
        raise InvalidInput("error.stale")
    return data[1]


@guarded
async def begin(update: Update, context: BotContext) -> int:
    """Check the admin, then ask for the role."""
    await service.open_invites(context.deps.uow, actor_of(update), context.deps.clock.now())
    clear(context, FLOW)
    viewer = await context.viewer(update)
    lang = viewer.language
    roles = [button(t(lang, f"role.{r.value}"), "inv", "role", r.value) for r in Role]
    await show(
        update,
        t(lang, "invite.ask_role"),
        keyboard(roles, [button(t(lang, "invite.open"), "inv", "list", 0)]),
    )
    return ROLE


@guarded
async def got_role(update: Update, context: BotContext) -> int:
    """Keep the role; offer the delegations."""
    scratch(context, FLOW)["role"] = parse_role(_choice(update, "role")).value
    viewer = await context.viewer(update)
    found = await delegations(context.deps.uow)
    await show(
        update,
        t(viewer.language, "invite.ask_delegation"),
        keyboard(*grid([button(d.code, "inv", "del", d.code) for d in found], 5)),
    )
    return DELEGATION


@guarded
async def got_delegation(update: Update, context: BotContext) -> int:
    """Keep the delegation; offer the number of uses."""
    scratch(context, FLOW)["delegation"] = _choice(update, "del")
    viewer = await context.viewer(update)
    uses = [button(str(n), "inv", "uses", n) for n in tokens.USES_CHOICES]
    await show(update, t(viewer.language, "invite.ask_uses"), keyboard(uses))
    return USES


@guarded
async def got_uses(update: Update, context: BotContext) -> int:
    """Keep the number of uses; offer the expiry."""
    uses = as_int(_choice(update, "uses"))
    if uses is None:
        raise InvalidInput("error.stale")
    scratch(context, FLOW)["uses"] = uses
    viewer = await context.viewer(update)
    days = [button(t(viewer.language, "invite.days", days=n), "inv", "days", n) for n in tokens.DAYS_CHOICES]
    await show(update, t(viewer.language, "invite.ask_days"), keyboard(days))
    return DAYS


@guarded
async def got_days(update: Update, context: BotContext) -> int:
    """Create the invitation (the service checks the admin again) and show its link once."""
    days = as_int(_choice(update, "days"))
    answers = scratch(context, FLOW)
    if days is None or not {"role", "delegation", "uses"} <= answers.keys():
        raise InvalidInput("error.stale")
    created = await service.create_invite(
        context.deps.uow,
        actor_of(update),
        Role(answers["role"]),
        answers["delegation"],
        answers["uses"],
        days,
        context.deps.clock.now(),
    )
    clear(context, FLOW)
    viewer = await context.viewer(update)
    link = tokens.deep_link(context.bot.username, created.token)
    await show(
        update, t(viewer.language, "invite.created", summary=describe(viewer, created.invite), link=link)
    )
    return END


def describe(viewer: Viewer, invite: Invite) -> str:
    """'contact of FR, 3 of 5 uses left, until …'."""
    return t(
        viewer.language,
        "invite.summary",
        id=invite.id,
        role=t(viewer.language, f"role.{invite.role.value}"),
        code=invite.delegation_code,
        left=invite.uses_left,
        uses=invite.max_uses,
        until=local(invite.expires_at, viewer),
    )


@guarded
async def list_open(update: Update, context: BotContext) -> None:
    """The invitations that can still be used, each with a revoke button."""
    found = await service.open_invites(context.deps.uow, actor_of(update), context.deps.clock.now())
    viewer = await context.viewer(update)
    if not found:
        await show(update, t(viewer.language, "invite.none_open"))
        return
    shown = found[:20]
    lines = [t(viewer.language, "invite.open_header", count=len(found))] + [
        describe(viewer, i) for i in shown
    ]
    buttons = [button(t(viewer.language, "invite.revoke", id=i.id), "inv", "rev", i.id) for i in shown]
    await show(update, "\n".join(lines), keyboard(*grid(buttons, 2)))


@guarded
async def revoke(update: Update, context: BotContext) -> None:
    """Withdraw one invitation (the service checks the admin)."""
    invite_id = as_int(_choice(update, "rev"))
    if invite_id is None:
        raise InvalidInput("error.stale")
    invite = await service.revoke_invite(
        context.deps.uow, actor_of(update), invite_id, context.deps.clock.now()
    )
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "invite.revoked", summary=describe(viewer, invite)))


def handlers() -> list[object]:
    """The /invite flow, then the stateless list and revoke buttons."""
    flow = guided(
        FLOW,
        entry_points=[CommandHandler("invite", begin, filters=filters.ChatType.PRIVATE)],
        states={
            ROLE: [CallbackQueryHandler(got_role, pattern="^inv:role:")],
            DELEGATION: [CallbackQueryHandler(got_delegation, pattern="^inv:del:")],
            USES: [CallbackQueryHandler(got_uses, pattern="^inv:uses:")],
            DAYS: [CallbackQueryHandler(got_days, pattern="^inv:days:")],
        },
    )
    return [
        flow,
        CallbackQueryHandler(list_open, pattern="^inv:list:"),
        CallbackQueryHandler(revoke, pattern="^inv:rev:"),
    ]
