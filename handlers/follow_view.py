"""One update (full text, history, attachment; edit and withdraw), follow buttons, and /following."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.errors import InvalidInput, NotAllowed
from bot.domain.posting import EDIT_WINDOW_HOURS, TEXT_LIMIT, FollowKind, protected
from bot.domain.vocab import Tlp
from bot.services import posting
from handlers.context import BotContext
from handlers.dates import local
from handlers.flow import END, guided, scratch
from handlers.keyboards import as_int, button, chosen, grid, keyboard, parts
from handlers.render import esc, shorten
from handlers.respond import actor_of, guarded, reply, show, show_long
from handlers.texts import t
from handlers.update_render import as_received, notification

EDITING = 40
TYPED = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE


def _args(update: Update, prefix: str, count: int) -> list[str]:
    found = parts(update.callback_query.data if update.callback_query else None, prefix, count)
    if found is None:
        raise InvalidInput("error.stale")
    return found


async def _show_update(update: Update, context: BotContext, update_id: int, send_file: bool) -> None:
    viewer = await context.viewer(update)
    view = await posting.update_view(context.deps.uow, viewer, update_id, context.deps.clock.now())
    lang = viewer.language
    lines = [as_received(viewer, view.update, view.initiative)]
    if view.history:
        lines.append(t(lang, "post.history", count=len(view.history)))
        lines += [f"{local(at, viewer)}: {esc(shorten(text, 200))}" for at, text in view.history[-3:]]
    rows = (
        [
            [
                button(t(lang, "post.edit"), "upd", "edit", update_id),
                button(t(lang, "post.relabel"), "upd", "lbl", update_id),
                button(t(lang, "post.withdraw"), "upd", "wd", update_id),
            ]
        ]
        if view.can_change
        else []
    )
    await show_long(update, "\n\n".join(lines), keyboard(*rows), protect=protected(view.update.tlp))
    found = view.update
    if send_file and found.attachment_file_id and update.effective_chat is not None:
        send = context.bot.send_photo if found.attachment_kind == "photo" else context.bot.send_document
        await send(
            update.effective_chat.id,
            found.attachment_file_id,
            protect_content=protected(found.tlp),
            caption=found.tlp.value,
            parse_mode=ParseMode.HTML,
        )


@guarded
async def update_button(update: Update, context: BotContext) -> None:
    """'Open' on a notification or an update number on a detail view."""
    ident = as_int(_args(update, "upd", 2)[1])
    if ident is None:
        raise InvalidInput("error.stale")
    await _show_update(update, context, ident, send_file=True)


@guarded
async def withdraw_ask(update: Update, context: BotContext) -> None:
    """Confirm a withdrawal."""
    ident = as_int(_args(update, "upd", 2)[1])
    if ident is None:
        raise InvalidInput("error.stale")
    viewer = await context.viewer(update)
    await show(
        update,
        t(viewer.language, "post.withdraw_confirm"),
        keyboard(
            [
                button(t(viewer.language, "post.withdraw_yes"), "upd", "wdok", ident),
                button(t(viewer.language, "post.withdraw_no"), "upd", "show", ident),
            ]
        ),
    )


@guarded
async def withdraw_do(update: Update, context: BotContext) -> None:
    """Withdraw (the service checks author or admin, and the 48 hours)."""
    ident = as_int(_args(update, "upd", 2)[1])
    if ident is None:
        raise InvalidInput("error.stale")
    done = await posting.withdraw_update(context.deps.uow, actor_of(update), ident, context.deps.clock.now())
    context.deps.outbox.wake()
    viewer = await context.viewer(update)
    lines = [t(viewer.language, "post.withdrawn", removed=done.removed, cancelled=done.cancelled)]
    if done.too_old:
        lines.append(t(viewer.language, "post.too_old", count=done.too_old))
    await show(update, "\n".join(lines))


@guarded
async def relabel_ask(update: Update, context: BotContext) -> None:
    """The labels to choose from; RED only to keep the readers it names (they are chosen when posting)."""
    ident = as_int(_args(update, "upd", 2)[1])
    if ident is None:
        raise InvalidInput("error.stale")
    viewer = await context.viewer(update)
    view = await posting.update_view(context.deps.uow, viewer, ident, context.deps.clock.now())
    if not view.can_change:
        raise NotAllowed("post.not_yours_or_too_late", hours=EDIT_WINDOW_HOURS)
    labels = [tlp for tlp in Tlp if tlp is not Tlp.RED or view.update.tlp is Tlp.RED]
    choices = [
        button(("✓ " if tlp is view.update.tlp else "") + tlp.value, "upd", "tlp", ident, tlp.name)
        for tlp in labels
    ]
    back = [button(t(viewer.language, "post.withdraw_no"), "upd", "show", ident)]
    await show(update, t(viewer.language, "post.ask_relabel"), keyboard(*grid(choices, 2), back))


@guarded
async def relabel_do(update: Update, context: BotContext) -> None:
    """Apply the label (the service checks author or admin, and the 48 hours); say what followed."""
    _, ident_text, name = _args(update, "upd", 3)
    ident = as_int(ident_text)
    if ident is None or name not in Tlp.__members__:
        raise InvalidInput("error.stale")
    viewer = await context.viewer(update)
    now = context.deps.clock.now()
    current = await posting.update_view(context.deps.uow, viewer, ident, now)
    tlp = Tlp[name]
    readers = current.update.red_delegations if tlp is Tlp.RED else frozenset()
    changed, done = await posting.relabel_update(
        context.deps.uow, actor_of(update), ident, tlp, readers, now, notification
    )
    context.deps.outbox.wake()
    lang = viewer.language
    lines = [
        t(lang, "post.relabelled", tlp=changed.tlp.value, corrected=done.corrected, removed=done.removed)
    ]
    if done.too_old:
        lines.append(t(lang, "post.too_old", count=done.too_old))
    await show(update, "\n".join(lines), keyboard([button(t(lang, "post.open"), "upd", "show", ident)]))


@guarded
async def edit_ask(update: Update, context: BotContext) -> int:
    """Ask for the new text."""
    ident = as_int(_args(update, "upd", 2)[1])
    if ident is None:
        raise InvalidInput("error.stale")
    viewer = await context.viewer(update)
    if viewer.in_group:
        raise NotAllowed("error.private_only")
    view = await posting.update_view(context.deps.uow, viewer, ident, context.deps.clock.now())
    if not view.can_change:
        raise NotAllowed("post.not_yours_or_too_late", hours=EDIT_WINDOW_HOURS)
    scratch(context, "upd_edit")["id"] = ident
    await show(update, t(viewer.language, "post.ask_new_text", limit=TEXT_LIMIT))
    return EDITING


@guarded
async def edit_text(update: Update, context: BotContext) -> int:
    """Save the new text and show the update."""
    assert update.message is not None
    ident = scratch(context, "upd_edit").get("id")
    if not isinstance(ident, int):
        raise InvalidInput("error.stale")
    _, done = await posting.edit_update(
        context.deps.uow,
        actor_of(update),
        ident,
        update.message.text or "",
        context.deps.clock.now(),
        notification,
    )
    context.deps.outbox.wake()
    viewer = await context.viewer(update)
    await reply(update, t(viewer.language, "post.edited", corrected=done.corrected))
    await _show_update(update, context, ident, send_file=False)
    return END


@guarded
async def follow_button(update: Update, context: BotContext) -> None:
    """🔔 / 🔕 on an initiative, a country or a region."""
    action, kind, target = _args(update, "fol", 3)
    if action not in ("on", "off"):
        raise InvalidInput("error.stale")
    await posting.set_follow(
        context.deps.uow,
        actor_of(update),
        chosen(FollowKind, kind),
        target,
        action == "on",
        context.deps.clock.now(),
    )
    viewer = await context.viewer(update)
    if update.callback_query is not None:
        await update.callback_query.answer(t(viewer.language, f"follow.{action}"), show_alert=False)


@guarded
async def following_command(update: Update, context: BotContext) -> None:
    """What the member follows, each with a remove button."""
    await _following(update, context)


@guarded
async def unfollow_button(update: Update, context: BotContext) -> None:
    """Remove from /following, then show the list again."""
    _, kind, target = _args(update, "fol", 3)
    await posting.set_follow(
        context.deps.uow, actor_of(update), chosen(FollowKind, kind), target, False, context.deps.clock.now()
    )
    await _following(update, context)


async def _following(update: Update, context: BotContext) -> None:
    found = await posting.following(context.deps.uow, actor_of(update))
    viewer = await context.viewer(update)
    if not found:
        await show(update, t(viewer.language, "follow.none"))
        return
    lines = [t(viewer.language, "follow.header", count=len(found))]
    lines += [
        f"• {t(viewer.language, f'follow.kind_{f.kind.value}')}: {esc(shorten(f.label, 80))}" for f in found
    ]
    removes = [button(f"✖ {shorten(f.label, 28)}", "fol", "rm", f.kind.value, f.target) for f in found[:30]]
    await show_long(update, "\n".join(lines), keyboard(*grid(removes, 1)))


def handlers() -> list[object]:
    """Update view and edits, follow buttons, /following."""
    edit = guided(
        "upd_edit",
        [CallbackQueryHandler(edit_ask, pattern=r"^upd:edit:\d+$")],
        {EDITING: [MessageHandler(TYPED, edit_text)]},
    )
    return [
        edit,
        CallbackQueryHandler(update_button, pattern=r"^upd:show:"),
        CallbackQueryHandler(withdraw_ask, pattern=r"^upd:wd:"),
        CallbackQueryHandler(withdraw_do, pattern=r"^upd:wdok:"),
        CallbackQueryHandler(relabel_ask, pattern=r"^upd:lbl:"),
        CallbackQueryHandler(relabel_do, pattern=r"^upd:tlp:"),
        CallbackQueryHandler(follow_button, pattern=r"^fol:(on|off):"),
        CallbackQueryHandler(unfollow_button, pattern=r"^fol:rm:"),
        CommandHandler("following", following_command, filters=filters.ChatType.PRIVATE),
    ]
