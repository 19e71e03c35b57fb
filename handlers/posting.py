"""/post: initiative, kind, text, TLP (RED: readers), attachment, preview, confirm. Edits and withdrawals."""

from __future__ import annotations

import secrets

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.posting import TEXT_LIMIT, Draft, check_text, protected
from bot.domain.vocab import Tlp, UpdateKind
from bot.services import browse, posting
from bot.services.catalog import delegations
from handlers.context import BotContext
from handlers.flow import END, clear, guided, scratch
from handlers.keyboards import as_int, button, chosen, grid, keyboard, parts
from handlers.respond import actor_of, guarded, reply, show, show_long
from handlers.texts import t
from handlers.update_render import as_received, draft_update, notification

PICK, KIND, TEXT, TLP, RED, ATTACH, PREVIEW = range(20, 27)
FLOW = "post"
TYPED = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
FILES = (filters.Document.ALL | filters.PHOTO) & filters.ChatType.PRIVATE


def _data(update: Update, count: int) -> list[str]:
    found = parts(update.callback_query.data if update.callback_query else None, "pst", count)
    if found is None:
        raise InvalidInput("error.stale")
    return found


async def _start(update: Update, context: BotContext, initiative_id: int | None) -> int:
    await posting.may_post(context.deps.uow, actor_of(update))
    clear(context, FLOW)
    answers = scratch(context, FLOW)
    answers["key"] = secrets.token_urlsafe(12)
    if initiative_id is None:
        viewer = await context.viewer(update)
        await show(update, t(viewer.language, "post.ask_initiative"))
        return PICK
    return await _chose(update, context, initiative_id)


@guarded
async def post_command(update: Update, context: BotContext) -> int:
    """/post [REF]: straight to the kind when a reference is given."""
    ref = " ".join(context.args or [])
    if not ref:
        return await _start(update, context, None)
    viewer = await context.viewer(update)
    initiative = await browse.find_initiative(context.deps.uow, viewer, ref)
    return await _start(update, context, initiative.id)


@guarded
async def post_button(update: Update, context: BotContext) -> int:
    """The 'post update' button of an initiative."""
    ident = as_int(_data(update, 2)[1])
    if ident is None:
        raise InvalidInput("error.stale")
    return await _start(update, context, ident)


@guarded
async def picked_by_text(update: Update, context: BotContext) -> int:
    """A reference, a country or words: one match goes on, several are offered as buttons."""
    assert update.message is not None
    viewer = await context.viewer(update)
    found = await browse.find_initiatives(context.deps.uow, viewer, update.message.text or "")
    if len(found) == 1:
        return await _chose(update, context, found[0].id)
    if not found:
        await reply(update, t(viewer.language, "post.none_found"))
        return PICK
    choices = [button(f"{i.ref} · {i.title[:40]}", "pst", "ini", i.id) for i in found[:8]]
    await reply(update, t(viewer.language, "post.pick"), keyboard(*grid(choices, 1)))
    return PICK


@guarded
async def picked_by_button(update: Update, context: BotContext) -> int:
    """One of the offered initiatives."""
    ident = as_int(_data(update, 2)[1])
    if ident is None:
        raise InvalidInput("error.stale")
    return await _chose(update, context, ident)


async def _chose(update: Update, context: BotContext, initiative_id: int) -> int:
    viewer = await context.viewer(update)
    initiative = await browse.find_initiative(context.deps.uow, viewer, str(initiative_id))
    answers = scratch(context, FLOW)
    answers["initiative"] = initiative.id
    kinds = [button(t(viewer.language, f"kind.{k.value}"), "pst", "kind", k.value) for k in UpdateKind]
    await show(update, t(viewer.language, "post.ask_kind", ref=initiative.ref), keyboard(*grid(kinds, 3)))
    return KIND


@guarded
async def got_kind(update: Update, context: BotContext) -> int:
    """Keep the kind; ask for the text."""
    scratch(context, FLOW)["kind"] = chosen(UpdateKind, _data(update, 2)[1]).value
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "post.ask_text", limit=TEXT_LIMIT))
    return TEXT


@guarded
async def got_text(update: Update, context: BotContext) -> int:
    """Keep the text as written; offer the TLP labels (GREEN is the default)."""
    assert update.message is not None
    scratch(context, FLOW)["text"] = check_text(update.message.text or "")
    return await _ask_tlp(update, context)


async def _ask_tlp(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    labels = [button(("✓ " if tlp is Tlp.GREEN else "") + tlp.value, "pst", "tlp", tlp.name) for tlp in Tlp]
    await show(update, t(viewer.language, "post.ask_tlp"), keyboard(*grid(labels, 2)))
    return TLP


@guarded
async def got_tlp(update: Update, context: BotContext) -> int:
    """Keep the label; RED asks who may read it."""
    name = _data(update, 2)[1]
    if name not in Tlp.__members__:
        raise InvalidInput("error.stale")
    answers = scratch(context, FLOW)
    answers["tlp"] = Tlp[name].value
    answers["red"] = []
    if Tlp[name] is Tlp.RED:
        return await _ask_red(update, context)
    return await _ask_attachment(update, context)


async def _ask_red(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    chosen = set(scratch(context, FLOW).get("red", []))
    found = await delegations(context.deps.uow)
    codes = [button(("✓ " if d.code in chosen else "") + d.code, "pst", "red", d.code) for d in found]
    done = [button(t(viewer.language, "post.red_done"), "pst", "reddone", "-")]
    await show(
        update,
        t(viewer.language, "post.ask_red", own=viewer.member.delegation.code if viewer.member else ""),
        keyboard(*grid(codes, 5), done),
    )
    return RED


@guarded
async def toggle_red(update: Update, context: BotContext) -> int:
    """Add or remove a delegation from the RED readers."""
    code = _data(update, 2)[1]
    answers = scratch(context, FLOW)
    chosen = list(answers.get("red", []))
    answers["red"] = [c for c in chosen if c != code] if code in chosen else [*chosen, code][:40]
    return await _ask_red(update, context)


@guarded
async def red_done(update: Update, context: BotContext) -> int:
    """RED readers chosen."""
    _data(update, 2)
    return await _ask_attachment(update, context)


async def _ask_attachment(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    skip = keyboard([button(t(viewer.language, "post.no_attachment"), "pst", "noatt", "-")])
    await show(update, t(viewer.language, "post.ask_attachment"), skip)
    return ATTACH


@guarded
async def got_attachment(update: Update, context: BotContext) -> int:
    """Keep the file's Telegram id (the file stays on Telegram); or none."""
    answers = scratch(context, FLOW)
    message = update.message
    if message is not None and message.document is not None:
        answers["att_kind"], answers["att_id"] = "document", message.document.file_id
    elif message is not None and message.photo:
        answers["att_kind"], answers["att_id"] = "photo", message.photo[-1].file_id
    else:
        _data(update, 2)
        answers.pop("att_kind", None)
        answers.pop("att_id", None)
    return await _preview(update, context)


async def _preview(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    answers = scratch(context, FLOW)
    if not {"initiative", "kind", "text"} <= answers.keys():
        raise InvalidInput("error.stale")
    initiative = await browse.find_initiative(context.deps.uow, viewer, str(answers["initiative"]))
    draft = draft_update(viewer, answers, context.deps.clock.now())
    lines = [t(viewer.language, "post.preview"), as_received(viewer, draft, initiative)]
    if draft.attachment_kind:
        lines.append(t(viewer.language, "post.with_attachment"))
    if protected(draft.tlp):
        lines.append(t(viewer.language, "post.protected"))
    buttons: list[list[InlineKeyboardButton]] = [
        [button(t(viewer.language, "post.confirm"), "pst", "ok", answers["key"])],
        [
            button(t(viewer.language, "post.change_text"), "pst", "retext", "-"),
            button(t(viewer.language, "post.change_tlp"), "pst", "retlp", "-"),
        ],
    ]
    await show_long(update, "\n\n".join(lines), keyboard(*buttons), protect=protected(draft.tlp))
    return PREVIEW


@guarded
async def confirm(update: Update, context: BotContext) -> int:
    """Post it (a second tap finds it posted), queue it to followers, say so."""
    key = _data(update, 2)[1]
    answers = scratch(context, FLOW)
    viewer = await context.viewer(update)
    if answers.get("key") != key:
        raise InvalidInput("post.already_posted")
    draft = draft_update(viewer, answers, context.deps.clock.now())
    posted = await posting.post_update(
        context.deps.uow,
        actor_of(update),
        Draft(
            key=key,
            initiative_id=draft.initiative_id,
            kind=draft.kind,
            text=draft.text,
            tlp=draft.tlp,
            red_delegations=draft.red_delegations,
            attachment_kind=draft.attachment_kind,
            attachment_file_id=draft.attachment_file_id,
        ),
        context.deps.clock.now(),
        notify=notification,
    )
    clear(context, FLOW)
    context.deps.outbox.wake()
    await show(update, t(viewer.language, "post.posted", id=posted.update.id, followers=posted.notified))
    return END


@guarded
async def change_text(update: Update, context: BotContext) -> int:
    """Back to the text."""
    _data(update, 2)
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "post.ask_text", limit=TEXT_LIMIT))
    return TEXT


@guarded
async def change_tlp(update: Update, context: BotContext) -> int:
    """Back to the label."""
    _data(update, 2)
    return await _ask_tlp(update, context)


@guarded
async def stale_confirm(update: Update, context: BotContext) -> None:
    """A confirm pressed again after the flow ended: the service already has it."""
    if update.callback_query is not None:
        viewer = await context.viewer(update)
        data = parts(update.callback_query.data, "pst", 2)
        posted = data is not None and await posting.posted(context.deps.uow, data[1])
        await update.callback_query.answer(
            t(viewer.language, "post.already_posted" if posted else "post.preview_ended"), show_alert=True
        )


def handlers() -> list[object]:
    """The /post flow, and a late second tap on its confirm button."""
    flow = guided(
        FLOW,
        [
            CommandHandler("post", post_command, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(post_button, pattern="^pst:start:"),
        ],
        {
            PICK: [
                MessageHandler(TYPED, picked_by_text),
                CallbackQueryHandler(picked_by_button, pattern="^pst:ini:"),
            ],
            KIND: [CallbackQueryHandler(got_kind, pattern="^pst:kind:")],
            TEXT: [MessageHandler(TYPED, got_text)],
            TLP: [CallbackQueryHandler(got_tlp, pattern="^pst:tlp:")],
            RED: [
                CallbackQueryHandler(toggle_red, pattern="^pst:red:"),
                CallbackQueryHandler(red_done, pattern="^pst:reddone:"),
            ],
            ATTACH: [
                MessageHandler(FILES, got_attachment),
                CallbackQueryHandler(got_attachment, pattern="^pst:noatt:"),
            ],
            PREVIEW: [
                CallbackQueryHandler(confirm, pattern="^pst:ok:"),
                CallbackQueryHandler(change_text, pattern="^pst:retext:"),
                CallbackQueryHandler(change_tlp, pattern="^pst:retlp:"),
            ],
        },
    )
    return [flow, CallbackQueryHandler(stale_confirm, pattern="^pst:ok:")]
