"""/invite: an admin picks role, delegation, uses and expiry with buttons and gets a deep link."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain import invites as tokens
from bot.domain.errors import InvalidInput
from bot.domain.model import Invite, Viewer
from bot.domain.vocab import Role
from bot.services import invites as service
from bot.services.catalog import delegations
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.dates import local
from handlers.flow import END, Draft, draft, drop, guided, keep
from handlers.keyboards import button, grid, keyboard
from handlers.respond import actor_of, guarded, show
from handlers.texts import t

ROLE, DELEGATION, USES, DAYS = range(4)


@dataclass(frozen=True)
class InviteRole(CallbackData, prefix="inv:role"):
    """The role the invitation gives."""

    role: Role


@dataclass(frozen=True)
class InviteDelegation(CallbackData, prefix="inv:del"):
    """Its delegation."""

    code: str


@dataclass(frozen=True)
class InviteUses(CallbackData, prefix="inv:uses"):
    """How many people may use it."""

    uses: int


@dataclass(frozen=True)
class InviteDays(CallbackData, prefix="inv:days"):
    """For how many days."""

    days: int


@dataclass(frozen=True)
class OpenInvites(CallbackData, prefix="inv:list"):
    """The invitations that can still be used."""


@dataclass(frozen=True)
class RevokeInvite(CallbackData, prefix="inv:rev"):
    """Withdraw one: asks to confirm."""

    invite: int


@dataclass(frozen=True)
class RevokeInviteConfirmed(CallbackData, prefix="inv:revok"):
    """Yes, withdraw that invitation."""

    invite: int


class InviteAnswers(Draft):
    """The /invite flow's answers so far."""

    role: Role | None = None
    delegation: str | None = None
    uses: int | None = None


@guarded
async def begin(update: Update, context: BotContext) -> int:
    """Check the admin, then ask for the role."""
    await service.open_invites(context.deps.uow, actor_of(update), context.deps.clock.now())
    keep(context, InviteAnswers())
    viewer = await context.viewer(update)
    lang = viewer.language
    roles = [button(t(lang, f"role.{r.value}"), InviteRole(r)) for r in Role]
    await show(
        update, t(lang, "invite.ask_role"), keyboard(roles, [button(t(lang, "invite.open"), OpenInvites())])
    )
    return ROLE


@guarded
async def got_role(update: Update, context: BotContext) -> int:
    """Keep the role; offer the delegations."""
    keep(context, draft(context, InviteAnswers).model_copy(update={"role": InviteRole.read(update).role}))
    viewer = await context.viewer(update)
    found = await delegations(context.deps.uow)
    choices = [button(d.code, InviteDelegation(d.code)) for d in found]
    await show(update, t(viewer.language, "invite.ask_delegation"), keyboard(*grid(choices, 5)))
    return DELEGATION


@guarded
async def got_delegation(update: Update, context: BotContext) -> int:
    """Keep the delegation; offer the number of uses."""
    code = InviteDelegation.read(update).code
    keep(context, draft(context, InviteAnswers).model_copy(update={"delegation": code}))
    viewer = await context.viewer(update)
    uses = [button(str(n), InviteUses(n)) for n in tokens.USES_CHOICES]
    await show(update, t(viewer.language, "invite.ask_uses"), keyboard(uses))
    return USES


@guarded
async def got_uses(update: Update, context: BotContext) -> int:
    """Keep the number of uses; offer the expiry."""
    uses = InviteUses.read(update).uses
    keep(context, draft(context, InviteAnswers).model_copy(update={"uses": uses}))
    viewer = await context.viewer(update)
    days = [button(t(viewer.language, "invite.days", days=n), InviteDays(n)) for n in tokens.DAYS_CHOICES]
    await show(update, t(viewer.language, "invite.ask_days"), keyboard(days))
    return DAYS


@guarded
async def got_days(update: Update, context: BotContext) -> int:
    """Create the invitation (the service checks the admin again) and show its link once."""
    days = InviteDays.read(update).days
    answers = draft(context, InviteAnswers)
    if answers.role is None or answers.delegation is None or answers.uses is None:
        raise InvalidInput("error.stale")
    now = context.deps.clock.now()
    actor = actor_of(update)
    created = await service.create_invite(
        context.deps.uow, actor, answers.role, answers.delegation, answers.uses, days, now
    )
    drop(context, InviteAnswers)
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
    OpenInvites.read(update)
    found = await service.open_invites(context.deps.uow, actor_of(update), context.deps.clock.now())
    viewer = await context.viewer(update)
    if not found:
        await show(update, t(viewer.language, "invite.none_open"))
        return
    shown = found[:20]
    lines = [t(viewer.language, "invite.open_header", count=len(found))] + [
        describe(viewer, i) for i in shown
    ]
    buttons = [button(t(viewer.language, "invite.revoke", id=i.id), RevokeInvite(i.id)) for i in shown]
    await show(update, "\n".join(lines), keyboard(*grid(buttons, 2)))


@guarded
async def revoke_ask(update: Update, context: BotContext) -> None:
    """Withdraw: which invitation, asked once; 'No' goes back to the list."""
    invite = await service.revocable_invite(
        context.deps.uow, actor_of(update), RevokeInvite.read(update).invite
    )
    viewer = await context.viewer(update)
    lang = viewer.language
    answers = [
        button(t(lang, "invite.revoke_yes"), RevokeInviteConfirmed(invite.id)),
        button(t(lang, "invite.revoke_no"), OpenInvites()),
    ]
    await show(update, t(lang, "invite.revoke_confirm", summary=describe(viewer, invite)), keyboard(answers))


@guarded
async def revoke(update: Update, context: BotContext) -> None:
    """Withdraw one invitation, confirmed (the service checks the admin)."""
    invite_id = RevokeInviteConfirmed.read(update).invite
    invite = await service.revoke_invite(
        context.deps.uow, actor_of(update), invite_id, context.deps.clock.now()
    )
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "invite.revoked", summary=describe(viewer, invite)))


def handlers() -> list[object]:
    """The /invite flow, then the stateless list and withdraw buttons."""
    flow = guided(
        "invite",
        entry_points=[CommandHandler("invite", begin, filters=filters.ChatType.PRIVATE)],
        states={
            ROLE: [CallbackQueryHandler(got_role, pattern=InviteRole.pattern)],
            DELEGATION: [CallbackQueryHandler(got_delegation, pattern=InviteDelegation.pattern)],
            USES: [CallbackQueryHandler(got_uses, pattern=InviteUses.pattern)],
            DAYS: [CallbackQueryHandler(got_days, pattern=InviteDays.pattern)],
        },
        answers=InviteAnswers,
    )
    return [
        flow,
        CallbackQueryHandler(list_open, pattern=OpenInvites.pattern),
        CallbackQueryHandler(revoke_ask, pattern=RevokeInvite.pattern),
        CallbackQueryHandler(revoke, pattern=RevokeInviteConfirmed.pattern),
    ]
