"""/rounds and one round: the list, the round's card with what the member may do, the live status and an
answer's history (launcher, admins), extending the deadline and closing early."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.errors import DomainError, NotAllowed
from bot.domain.posting import protected
from bot.domain.round_times import parse_deadline
from bot.domain.rounds import Reply, RoundKind
from bot.domain.vocab import Role
from bot.services import round_answers, round_deadlines, round_reading, rounds
from bot.services.rounds import RoundView
from handlers.context import BotContext
from handlers.flow import END, Draft, draft, guided, keep
from handlers.keyboards import button, grid, keyboard
from handlers.respond import actor_of, guarded, reply, show, show_long
from handlers.rounds_buttons import (
    RoundAnswer,
    RoundAttached,
    RoundClose,
    RoundCloseYes,
    RoundDocuments,
    RoundExtend,
    RoundHistory,
    RoundList,
    RoundNew,
    RoundShow,
    RoundStatusView,
    RoundTap,
    RoundVerdict,
)
from handlers.rounds_jobs import MESSENGER, at_deadline, sweep
from handlers.rounds_render import answer_block, listing_text, round_view, status_text, when
from handlers.texts import t

EXTEND_DATE = 200
TYPED = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE


class ExtendAnswers(Draft):
    """The round whose deadline is being moved."""

    round: int


@guarded
async def rounds_command(update: Update, context: BotContext) -> None:
    """/rounds: waiting for the member's delegation first, then open, then compiled; /rounds WORDS: the
    rounds holding those words (in their answers too, where the member may read the compilation)."""
    text = " ".join(context.args or [])
    if not text.strip():
        await _listing(update, context)
        return
    found = await round_reading.find(context.deps.uow, actor_of(update), text[:200])
    lang = (await context.viewer(update)).language
    if not found:
        await reply(update, t(lang, "rounds.search_none"))
        return
    buttons = [button(f"#{r.id} {r.title[:24]}", RoundShow(r.id)) for r in found[:24]]
    await reply(update, t(lang, "rounds.search_found", count=len(found)), keyboard(*grid(buttons, 2)))


@guarded
async def back_to_list(update: Update, context: BotContext) -> None:
    """The list again."""
    RoundList.read(update)
    await _listing(update, context)


async def search_hint(update: Update, context: BotContext, text: str) -> str | None:
    """For /search: a line pointing to the rounds (compilations included) holding the words, if any."""
    viewer = await context.viewer(update)
    if viewer.in_group or viewer.role is None:
        return None
    try:
        found = await round_reading.find(context.deps.uow, actor_of(update), text[:200])
    except DomainError:
        return None
    if not found:
        return None
    return t(
        viewer.language,
        "rounds.search_hint",
        count=len(found),
        ids=", ".join(f"#{r.id}" for r in found[:5]),
        words=text[:60],
    )


async def _listing(update: Update, context: BotContext) -> None:
    now = context.deps.clock.now()
    found = await rounds.listing(context.deps.uow, actor_of(update), now)
    viewer = await context.viewer(update)
    assert viewer.member is not None
    lang = viewer.language
    shown = [*found.waiting, *found.open, *found.closed][:24]
    buttons = [button(f"#{r.id} {r.title[:24]}", RoundShow(r.id)) for r in shown]
    new = [button(t(lang, "rounds.new_query"), RoundNew(RoundKind.QUERY))]
    if viewer.member.role is Role.ADMIN:
        new.append(button(t(lang, "rounds.new_consultation"), RoundNew(RoundKind.CONSULTATION)))
    await show(update, listing_text(lang, viewer.member, found), keyboard(*grid(buttons, 2), new))


def actions(lang: str, view: RoundView, now_open: bool) -> list[list[InlineKeyboardButton]]:
    """What the member may do with the round, as buttons."""
    rnd = view.round
    rows: list[list[InlineKeyboardButton]] = []
    if view.may_answer and rnd.kind is RoundKind.QUERY:
        label = "rounds.change_answer" if view.own else "rounds.answer"
        rows.append([button(t(lang, label), RoundAnswer(rnd.id))])
        rows.append(
            [
                button(t(lang, "rounds.reply.no_information"), RoundTap(rnd.id, Reply.NO_INFORMATION)),
                button(t(lang, "rounds.reply.not_applicable"), RoundTap(rnd.id, Reply.NOT_APPLICABLE)),
            ]
        )
    elif view.may_answer:
        rows.append(
            [
                button(t(lang, "rounds.reply.agree"), RoundTap(rnd.id, Reply.AGREE)),
                button(t(lang, "rounds.reply.comments"), RoundVerdict(rnd.id, Reply.COMMENTS)),
                button(t(lang, "rounds.reply.objection"), RoundVerdict(rnd.id, Reply.OBJECTION)),
            ]
        )
    if view.reads_compilation:
        rows.append([button(t(lang, "rounds.documents"), RoundDocuments(rnd.id))])
    if view.own is not None:
        rows.append([button(t(lang, "rounds.history"), RoundHistory(rnd.id, view.member.delegation.code))])
    if view.may_manage:
        rows.append([button(t(lang, "rounds.status"), RoundStatusView(rnd.id))])
        if now_open:
            rows.append(
                [
                    button(t(lang, "rounds.extend"), RoundExtend(rnd.id)),
                    button(t(lang, "rounds.close"), RoundClose(rnd.id)),
                ]
            )
    rows.append([button(t(lang, "rounds.back"), RoundList())])
    return rows


async def show_round(update: Update, context: BotContext, round_id: int) -> None:
    """The round's card as this member may see it, with their buttons."""
    now = context.deps.clock.now()
    view = await rounds.view(context.deps.uow, actor_of(update), round_id, now)
    lang = (await context.viewer(update)).language
    text = round_view(lang, view, now)
    markup = keyboard(*actions(lang, view, view.round.accepts_answers(now)))
    await show_long(update, text, markup, protect=protected(view.round.question_tlp))


@guarded
async def open_round(update: Update, context: BotContext) -> None:
    """A round's button."""
    await show_round(update, context, RoundShow.read(update).round)


async def _managed(update: Update, context: BotContext, round_id: int) -> RoundView:
    """The round, as its launcher or an admin sees it (else refused)."""
    view = await rounds.view(context.deps.uow, actor_of(update), round_id, context.deps.clock.now())
    if not view.may_manage:
        raise NotAllowed()
    return view


@guarded
async def round_status(update: Update, context: BotContext) -> None:
    """Who answered, who has not, and the submitted answers (launcher and admins)."""
    round_id = RoundStatusView.read(update).round
    view = await _managed(update, context, round_id)
    lang = (await context.viewer(update)).language
    files = [
        button(f"📎 {code}", RoundAttached(round_id, code))
        for code, answer in (view.answers or {}).items()
        if answer.file_id
    ]
    back = keyboard(*grid(files, 4), [button(t(lang, "rounds.back"), RoundShow(round_id))])
    await show_long(update, status_text(lang, view), back, protect=protected(view.round.answer_tlp))


@guarded
async def send_attached(update: Update, context: BotContext) -> None:
    """The document a delegation attached to its comments or objection."""
    pressed = RoundAttached.read(update)
    rnd, file_id = await round_answers.attached(
        context.deps.uow, actor_of(update), pressed.round, pressed.code
    )
    if update.callback_query is not None:
        await update.callback_query.answer()
    if update.effective_message is not None:
        await update.effective_message.reply_document(
            file_id, protect_content=protected(rnd.answer_tlp) or None
        )


@guarded
async def answer_history(update: Update, context: BotContext) -> None:
    """Every version of a delegation's answer: who gave it, when."""
    pressed = RoundHistory.read(update)
    found = await round_answers.history(context.deps.uow, actor_of(update), pressed.round, pressed.code)
    viewer = await context.viewer(update)
    assert viewer.member is not None
    lang, zone = viewer.language, viewer.member.time_zone
    lines = [t(lang, "rounds.history_head", code=pressed.code, count=len(found))]
    lines += [answer_block(lang, zone, a, short=True) for a in found]
    back = keyboard([button(t(lang, "rounds.back"), RoundShow(pressed.round))])
    await show_long(update, "\n\n".join(lines), back, protect=True)


@guarded
async def send_documents(update: Update, context: BotContext) -> None:
    """The compilation's documents again, if the member may read its label now."""
    round_id = RoundDocuments.read(update).round
    rnd, files = await round_reading.documents(context.deps.uow, actor_of(update), round_id)
    if update.callback_query is not None:
        await update.callback_query.answer()
    message = update.effective_message
    for name, content in files:
        if message is not None:
            await message.reply_document(
                InputFile(content, filename=name), protect_content=protected(rnd.answer_tlp) or None
            )


@guarded
async def ask_close(update: Update, context: BotContext) -> None:
    """Close early? The compilation follows at once."""
    round_id = RoundClose.read(update).round
    await _managed(update, context, round_id)
    lang = (await context.viewer(update)).language
    markup = keyboard(
        [
            button(t(lang, "rounds.close_yes"), RoundCloseYes(round_id)),
            button(t(lang, "rounds.back"), RoundShow(round_id)),
        ]
    )
    await show(update, t(lang, "rounds.close_confirm"), markup)


@guarded
async def close(update: Update, context: BotContext) -> None:
    """Close now and compile."""
    round_id = RoundCloseYes.read(update).round
    deps = context.deps
    await round_deadlines.close_early(deps.uow, actor_of(update), round_id, deps.clock.now())
    await sweep(deps)
    lang = (await context.viewer(update)).language
    await show(update, t(lang, "rounds.closed_now", id=round_id))


@guarded
async def ask_deadline(update: Update, context: BotContext) -> int:
    """Extend: the new deadline, typed in the member's zone."""
    round_id = RoundExtend.read(update).round
    view = await _managed(update, context, round_id)
    keep(context, ExtendAnswers(round=round_id))
    lang = (await context.viewer(update)).language
    await show(
        update,
        t(
            lang,
            "rounds.ask_new_deadline",
            zone=view.member.time_zone,
            deadline=when(view.round.deadline, view.member.time_zone),
        ),
    )
    return EXTEND_DATE


@guarded
async def got_deadline(update: Update, context: BotContext) -> int:
    """Move the deadline; everyone asked is told."""
    assert update.message is not None
    answers = draft(context, ExtendAnswers)
    viewer = await context.viewer(update)
    assert viewer.member is not None
    deadline = parse_deadline(update.message.text or "", viewer.member.time_zone)
    now = context.deps.clock.now()
    moved = await round_deadlines.extend(
        context.deps.uow, actor_of(update), answers.round, deadline, now, MESSENGER
    )
    context.deps.outbox.wake()
    at_deadline(context.job_queue, moved, now)
    await reply(
        update,
        t(viewer.language, "rounds.extended_done", deadline=when(moved.deadline, viewer.member.time_zone)),
    )
    return END


def handlers() -> list[object]:
    """/rounds, the round's buttons, and the extension flow."""
    extend = guided(
        "round_extend",
        entry_points=[CallbackQueryHandler(ask_deadline, pattern=RoundExtend.pattern)],
        states={EXTEND_DATE: [MessageHandler(TYPED, got_deadline)]},
        answers=ExtendAnswers,
    )
    return [
        CommandHandler("rounds", rounds_command, filters=filters.ChatType.PRIVATE),
        extend,
        CallbackQueryHandler(back_to_list, pattern=RoundList.pattern),
        CallbackQueryHandler(open_round, pattern=RoundShow.pattern),
        CallbackQueryHandler(round_status, pattern=RoundStatusView.pattern),
        CallbackQueryHandler(answer_history, pattern=RoundHistory.pattern),
        CallbackQueryHandler(send_documents, pattern=RoundDocuments.pattern),
        CallbackQueryHandler(send_attached, pattern=RoundAttached.pattern),
        CallbackQueryHandler(ask_close, pattern=RoundClose.pattern),
        CallbackQueryHandler(close, pattern=RoundCloseYes.pattern),
    ]
