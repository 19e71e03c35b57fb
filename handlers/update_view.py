"""One update in full (text, history for its delegation, attachment), and its author's or an admin's
edit, label change and withdrawal within 48 hours."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.domain.errors import NotAllowed
from bot.domain.posting import EDIT_WINDOW_HOURS, TEXT_LIMIT, protected
from bot.domain.vocab import Tlp
from bot.services import posting
from handlers.buttons import OpenInitiative, OpenUpdate, OpenUpdateOf
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.dates import local
from handlers.flow import END, Draft, draft, guided, keep
from handlers.keyboards import button, grid, keyboard
from handlers.render import esc, shorten
from handlers.respond import actor_of, guarded, reply, show, show_long
from handlers.texts import t
from handlers.update_render import as_received, notification

EDITING = 40
TYPED = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE


@dataclass(frozen=True)
class EditUpdate(CallbackData, prefix="upd:edit"):
    """✏️ Edit: asks for the new text."""

    update: int


@dataclass(frozen=True)
class WithdrawUpdate(CallbackData, prefix="upd:wd"):
    """🗑 Withdraw: asks to confirm."""

    update: int


@dataclass(frozen=True)
class WithdrawConfirmed(CallbackData, prefix="upd:wdok"):
    """Yes, withdraw."""

    update: int


@dataclass(frozen=True)
class RelabelUpdate(CallbackData, prefix="upd:lbl"):
    """🏷 Label: the labels to choose from."""

    update: int


@dataclass(frozen=True)
class NewLabel(CallbackData, prefix="upd:tlp"):
    """The label chosen."""

    update: int
    tlp: Tlp


class EditAnswers(Draft):
    """The update whose new text is awaited."""

    update: int


async def _show_update(
    update: Update, context: BotContext, update_id: int, send_file: bool, back: CallbackData | None = None
) -> None:
    viewer = await context.viewer(update)
    view = await posting.update_view(context.deps.uow, viewer, update_id, context.deps.clock.now())
    lang = viewer.language
    lines = [as_received(viewer, view.update, view.initiative)]
    if view.history:
        lines.append(t(lang, "post.history", count=len(view.history)))
        lines += [f"{local(at, viewer)}: {esc(shorten(text, 200))}" for at, text in view.history[-3:]]
    actions = [
        button(t(lang, "post.edit"), EditUpdate(update_id)),
        button(t(lang, "post.relabel"), RelabelUpdate(update_id)),
        button(t(lang, "post.withdraw"), WithdrawUpdate(update_id)),
    ]
    rows = [actions] if view.can_change else []
    if back is not None:
        rows.append([button(t(lang, "nav.back"), back)])
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
async def open_update(update: Update, context: BotContext) -> None:
    """'Open' on an alert, or an update's number on an initiative."""
    await _show_update(update, context, OpenUpdate.read(update).update, send_file=True)


@guarded
async def open_update_of(update: Update, context: BotContext) -> None:
    """✉ N on an initiative's details: the update, with ◀ Back to those details."""
    pressed = OpenUpdateOf.read(update)
    back = OpenInitiative(pressed.initiative)
    await _show_update(update, context, pressed.update, send_file=True, back=back)


@guarded
async def withdraw_ask(update: Update, context: BotContext) -> None:
    """Confirm a withdrawal."""
    ident = WithdrawUpdate.read(update).update
    lang = (await context.viewer(update)).language
    yes = button(t(lang, "post.withdraw_yes"), WithdrawConfirmed(ident))
    no = button(t(lang, "post.withdraw_no"), OpenUpdate(ident))
    await show(update, t(lang, "post.withdraw_confirm"), keyboard([yes, no]))


@guarded
async def withdraw_do(update: Update, context: BotContext) -> None:
    """Withdraw (the service checks author or admin, and the 48 hours); say what was removed."""
    ident = WithdrawConfirmed.read(update).update
    done = await posting.withdraw_update(context.deps.uow, actor_of(update), ident, context.deps.clock.now())
    context.deps.outbox.wake()
    lang = (await context.viewer(update)).language
    lines = [t(lang, "post.withdrawn", removed=done.removed, cancelled=done.cancelled)]
    if done.too_old:
        lines.append(t(lang, "post.too_old", count=done.too_old))
    await show(update, "\n".join(lines))


@guarded
async def relabel_ask(update: Update, context: BotContext) -> None:
    """The labels to choose from; RED only to keep the readers it names (they are chosen when posting)."""
    ident = RelabelUpdate.read(update).update
    viewer = await context.viewer(update)
    view = await posting.update_view(context.deps.uow, viewer, ident, context.deps.clock.now())
    if not view.can_change:
        raise NotAllowed("post.not_yours_or_too_late", hours=EDIT_WINDOW_HOURS)
    labels = [tlp for tlp in Tlp if tlp is not Tlp.RED or view.update.tlp is Tlp.RED]
    choices = [
        button(("✓ " if tlp is view.update.tlp else "") + tlp.value, NewLabel(ident, tlp)) for tlp in labels
    ]
    back = [button(t(viewer.language, "post.withdraw_no"), OpenUpdate(ident))]
    await show(update, t(viewer.language, "post.ask_relabel"), keyboard(*grid(choices, 2), back))


@guarded
async def relabel_do(update: Update, context: BotContext) -> None:
    """Apply the label (the service checks author or admin, and the 48 hours); say what followed."""
    chosen = NewLabel.read(update)
    viewer = await context.viewer(update)
    now = context.deps.clock.now()
    current = await posting.update_view(context.deps.uow, viewer, chosen.update, now)
    readers = current.update.red_delegations if chosen.tlp is Tlp.RED else frozenset()
    changed, done = await posting.relabel_update(
        context.deps.uow, actor_of(update), chosen.update, chosen.tlp, readers, now, notification
    )
    context.deps.outbox.wake()
    lang = viewer.language
    lines = [
        t(lang, "post.relabelled", tlp=changed.tlp.value, corrected=done.corrected, removed=done.removed)
    ]
    if done.too_old:
        lines.append(t(lang, "post.too_old", count=done.too_old))
    await show(update, "\n".join(lines), keyboard([button(t(lang, "post.open"), OpenUpdate(chosen.update))]))


@guarded
async def edit_ask(update: Update, context: BotContext) -> int:
    """Ask for the new text (refused at once to whoever may not change it)."""
    ident = EditUpdate.read(update).update
    viewer = await context.viewer(update)
    if viewer.in_group:
        raise NotAllowed("error.private_only")
    view = await posting.update_view(context.deps.uow, viewer, ident, context.deps.clock.now())
    if not view.can_change:
        raise NotAllowed("post.not_yours_or_too_late", hours=EDIT_WINDOW_HOURS)
    keep(context, EditAnswers(update=ident))
    await show(update, t(viewer.language, "post.ask_new_text", limit=TEXT_LIMIT))
    return EDITING


@guarded
async def edit_text(update: Update, context: BotContext) -> int:
    """Save the new text (delivered alerts are corrected), and show the update."""
    assert update.message is not None
    ident = draft(context, EditAnswers).update
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


def handlers() -> list[object]:
    """An update's view, and its edit, label and withdrawal."""
    edit = guided(
        "upd_edit",
        [CallbackQueryHandler(edit_ask, pattern=EditUpdate.pattern)],
        {EDITING: [MessageHandler(TYPED, edit_text)]},
        answers=EditAnswers,
    )
    return [
        edit,
        CallbackQueryHandler(open_update, pattern=OpenUpdate.pattern),
        CallbackQueryHandler(open_update_of, pattern=OpenUpdateOf.pattern),
        CallbackQueryHandler(withdraw_ask, pattern=WithdrawUpdate.pattern),
        CallbackQueryHandler(withdraw_do, pattern=WithdrawConfirmed.pattern),
        CallbackQueryHandler(relabel_ask, pattern=RelabelUpdate.pattern),
        CallbackQueryHandler(relabel_do, pattern=NewLabel.pattern),
    ]
