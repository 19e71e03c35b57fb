"""/post: initiative, kind, text, TLP (RED: readers), attachment, preview, confirm."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.posting import TEXT_LIMIT, check_text, protected
from bot.domain.posting import Draft as NewUpdate
from bot.domain.vocab import Tlp, UpdateKind
from bot.services import browse, posting
from bot.services.catalog import delegations
from handlers.buttons import PostOn
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.flow import END, Draft, draft, drop, guided, keep
from handlers.keyboards import button, grid, keyboard
from handlers.respond import actor_of, guarded, reply, show, show_long
from handlers.texts import t
from handlers.update_render import as_received, notification, preview_update

PICK, KIND, TEXT, TLP, RED, ATTACH, PREVIEW = range(20, 27)
MAX_READERS = 40  # delegations a RED update may name
TYPED = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
FILES = (filters.Document.ALL | filters.PHOTO) & filters.ChatType.PRIVATE


@dataclass(frozen=True)
class PostPick(CallbackData, prefix="pst:ini"):
    """One of the initiatives offered for what was typed."""

    initiative: int


@dataclass(frozen=True)
class PostKind(CallbackData, prefix="pst:kind"):
    """The kind of update."""

    kind: UpdateKind


@dataclass(frozen=True)
class PostLabel(CallbackData, prefix="pst:tlp"):
    """The TLP label."""

    tlp: Tlp


@dataclass(frozen=True)
class PostReader(CallbackData, prefix="pst:red"):
    """Tick or untick a delegation that may read a RED update."""

    code: str


@dataclass(frozen=True)
class PostReadersDone(CallbackData, prefix="pst:reddone"):
    """RED readers chosen."""


@dataclass(frozen=True)
class PostNoFile(CallbackData, prefix="pst:noatt"):
    """Go on without an attachment."""


@dataclass(frozen=True)
class PostConfirm(CallbackData, prefix="pst:ok"):
    """Post it: the draft's key, so that a second tap finds it posted."""

    key: str


@dataclass(frozen=True)
class PostRetext(CallbackData, prefix="pst:retext"):
    """Back to the text."""


@dataclass(frozen=True)
class PostRelabel(CallbackData, prefix="pst:retlp"):
    """Back to the label."""


class PostAnswers(Draft):
    """The /post flow's answers so far; `key` makes confirming it twice post it once."""

    key: str
    initiative: int | None = None
    kind: UpdateKind | None = None
    text: str | None = None
    tlp: Tlp = Tlp.GREEN
    readers: frozenset[str] = frozenset()
    attachment: tuple[str, str] | None = None  # ("document" or "photo", Telegram file_id)

    def complete(self) -> NewUpdate:
        """The update to post; a stale button when a step is missing (an old flow's button)."""
        if self.initiative is None or self.kind is None or self.text is None:
            raise InvalidInput("error.stale")
        kind, file_id = self.attachment or (None, None)
        return NewUpdate(
            self.key, self.initiative, self.kind, self.text, self.tlp, self.readers, kind, file_id
        )


async def _start(update: Update, context: BotContext, initiative_id: int | None) -> int:
    await posting.check_poster(context.deps.uow, actor_of(update))
    keep(context, PostAnswers(key=secrets.token_urlsafe(12)))
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
    return await _start(update, context, PostOn.read(update).initiative)


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
    choices = [button(f"{i.ref} · {i.title[:40]}", PostPick(i.id)) for i in found[:8]]
    await reply(update, t(viewer.language, "post.pick"), keyboard(*grid(choices, 1)))
    return PICK


@guarded
async def picked_by_button(update: Update, context: BotContext) -> int:
    """One of the offered initiatives."""
    return await _chose(update, context, PostPick.read(update).initiative)


async def _chose(update: Update, context: BotContext, initiative_id: int) -> int:
    viewer = await context.viewer(update)
    initiative = await browse.find_initiative(context.deps.uow, viewer, str(initiative_id))
    keep(context, draft(context, PostAnswers).model_copy(update={"initiative": initiative.id}))
    kinds = [button(t(viewer.language, f"kind.{k.value}"), PostKind(k)) for k in UpdateKind]
    await show(update, t(viewer.language, "post.ask_kind", ref=initiative.ref), keyboard(*grid(kinds, 3)))
    return KIND


@guarded
async def got_kind(update: Update, context: BotContext) -> int:
    """Keep the kind; ask for the text."""
    keep(context, draft(context, PostAnswers).model_copy(update={"kind": PostKind.read(update).kind}))
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "post.ask_text", limit=TEXT_LIMIT))
    return TEXT


@guarded
async def got_text(update: Update, context: BotContext) -> int:
    """Keep the text as written; offer the TLP labels (GREEN is the default)."""
    assert update.message is not None
    text = check_text(update.message.text or "")
    keep(context, draft(context, PostAnswers).model_copy(update={"text": text}))
    return await _ask_tlp(update, context)


async def _ask_tlp(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    labels = [button(("✓ " if tlp is Tlp.GREEN else "") + tlp.value, PostLabel(tlp)) for tlp in Tlp]
    await show(update, t(viewer.language, "post.ask_tlp"), keyboard(*grid(labels, 2)))
    return TLP


@guarded
async def got_tlp(update: Update, context: BotContext) -> int:
    """Keep the label; RED asks who may read it."""
    tlp = PostLabel.read(update).tlp
    keep(context, draft(context, PostAnswers).model_copy(update={"tlp": tlp, "readers": frozenset()}))
    if tlp is Tlp.RED:
        return await _ask_red(update, context)
    return await _ask_attachment(update, context)


async def _ask_red(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    chosen = draft(context, PostAnswers).readers
    found = await delegations(context.deps.uow)
    codes = [button(("✓ " if d.code in chosen else "") + d.code, PostReader(d.code)) for d in found]
    done = [button(t(viewer.language, "post.red_done"), PostReadersDone())]
    await show(
        update,
        t(viewer.language, "post.ask_red", own=viewer.member.delegation.code if viewer.member else ""),
        keyboard(*grid(codes, 5), done),
    )
    return RED


@guarded
async def toggle_red(update: Update, context: BotContext) -> int:
    """Add or remove a delegation from the RED readers."""
    code = PostReader.read(update).code
    answers = draft(context, PostAnswers)
    readers = answers.readers - {code} if code in answers.readers else answers.readers | {code}
    if len(readers) > MAX_READERS:
        raise InvalidInput("error.stale")
    keep(context, answers.model_copy(update={"readers": readers}))
    return await _ask_red(update, context)


@guarded
async def red_done(update: Update, context: BotContext) -> int:
    """RED readers chosen."""
    PostReadersDone.read(update)
    return await _ask_attachment(update, context)


async def _ask_attachment(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    skip = keyboard([button(t(viewer.language, "post.no_attachment"), PostNoFile())])
    await show(update, t(viewer.language, "post.ask_attachment"), skip)
    return ATTACH


@guarded
async def got_attachment(update: Update, context: BotContext) -> int:
    """Keep the file's Telegram id (the file stays on Telegram); or none."""
    message = update.message
    attachment: tuple[str, str] | None = None
    if message is not None and message.document is not None:
        attachment = ("document", message.document.file_id)
    elif message is not None and message.photo:
        attachment = ("photo", message.photo[-1].file_id)
    else:
        PostNoFile.read(update)
    keep(context, draft(context, PostAnswers).model_copy(update={"attachment": attachment}))
    return await _preview(update, context)


async def _preview(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    answers = draft(context, PostAnswers)
    wanted = answers.complete()
    initiative = await browse.find_initiative(context.deps.uow, viewer, str(wanted.initiative_id))
    shown = preview_update(viewer, wanted, context.deps.clock.now())
    lines = [t(viewer.language, "post.preview"), as_received(viewer, shown, initiative)]
    if wanted.attachment_kind:
        lines.append(t(viewer.language, "post.with_attachment"))
    if protected(wanted.tlp):
        lines.append(t(viewer.language, "post.protected"))
    buttons: list[list[InlineKeyboardButton]] = [
        [button(t(viewer.language, "post.confirm"), PostConfirm(answers.key))],
        [
            button(t(viewer.language, "post.change_text"), PostRetext()),
            button(t(viewer.language, "post.change_tlp"), PostRelabel()),
        ],
    ]
    await show_long(update, "\n\n".join(lines), keyboard(*buttons), protect=protected(wanted.tlp))
    return PREVIEW


@guarded
async def confirm(update: Update, context: BotContext) -> int:
    """Post it (a second tap finds it posted), queue it to followers, say so."""
    key = PostConfirm.read(update).key
    answers = draft(context, PostAnswers)
    viewer = await context.viewer(update)
    if answers.key != key:
        raise InvalidInput("post.already_posted")
    now = context.deps.clock.now()
    posted = await posting.post_update(
        context.deps.uow, actor_of(update), answers.complete(), now, notification
    )
    drop(context, PostAnswers)
    context.deps.outbox.wake()
    await show(update, t(viewer.language, "post.posted", id=posted.update.id, followers=posted.notified))
    return END


@guarded
async def change_text(update: Update, context: BotContext) -> int:
    """Back to the text."""
    PostRetext.read(update)
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "post.ask_text", limit=TEXT_LIMIT))
    return TEXT


@guarded
async def change_tlp(update: Update, context: BotContext) -> int:
    """Back to the label."""
    PostRelabel.read(update)
    return await _ask_tlp(update, context)


@guarded
async def stale_confirm(update: Update, context: BotContext) -> None:
    """A confirm pressed again after the flow ended: the service already has it."""
    if update.callback_query is not None:
        viewer = await context.viewer(update)
        key = PostConfirm.read(update).key
        posted = await posting.posted(context.deps.uow, key)
        await update.callback_query.answer(
            t(viewer.language, "post.already_posted" if posted else "post.preview_ended"), show_alert=True
        )


def handlers() -> list[object]:
    """The /post flow, and a late second tap on its confirm button."""
    flow = guided(
        "post",
        [
            CommandHandler("post", post_command, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(post_button, pattern=PostOn.pattern),
        ],
        {
            PICK: [
                MessageHandler(TYPED, picked_by_text),
                CallbackQueryHandler(picked_by_button, pattern=PostPick.pattern),
            ],
            KIND: [CallbackQueryHandler(got_kind, pattern=PostKind.pattern)],
            TEXT: [MessageHandler(TYPED, got_text)],
            TLP: [CallbackQueryHandler(got_tlp, pattern=PostLabel.pattern)],
            RED: [
                CallbackQueryHandler(toggle_red, pattern=PostReader.pattern),
                CallbackQueryHandler(red_done, pattern=PostReadersDone.pattern),
            ],
            ATTACH: [
                MessageHandler(FILES, got_attachment),
                CallbackQueryHandler(got_attachment, pattern=PostNoFile.pattern),
            ],
            PREVIEW: [
                CallbackQueryHandler(confirm, pattern=PostConfirm.pattern),
                CallbackQueryHandler(change_text, pattern=PostRetext.pattern),
                CallbackQueryHandler(change_tlp, pattern=PostRelabel.pattern),
            ],
        },
        answers=PostAnswers,
    )
    return [flow, CallbackQueryHandler(stale_confirm, pattern=PostConfirm.pattern)]
