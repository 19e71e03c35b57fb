"""Launching a round: /newround (a query) or the buttons of /rounds (admins: a written consultation).

Title (earlier rounds that look alike are shown), background or draft text, the questions (each: text,
then how it is answered), the delegations asked, the questions' label and the answers' (never looser),
the deadline in the launcher's zone, a preview, launch. /cancel at any step."""

from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.rounds import (
    MAX_QUESTIONS,
    Question,
    QuestionKind,
    RoundDraft,
    RoundKind,
    Scope,
    answer_labels,
    check_background,
    check_deadline,
    check_options,
    check_question,
    check_title,
    local_to_utc,
    parse_deadline,
    preview,
)
from bot.domain.vocab import Tlp
from bot.services import rounds
from bot.services.catalog import delegations
from handlers.context import BotContext
from handlers.flow import END, Draft, draft, drop, guided, keep
from handlers.keyboards import button, grid, keyboard
from handlers.respond import actor_of, guarded, reply, show, show_long
from handlers.rounds_buttons import (
    LaunchAnswerLabel,
    LaunchConfirm,
    LaunchDays,
    LaunchMore,
    LaunchNoFile,
    LaunchPick,
    LaunchPicked,
    LaunchQuestionKind,
    LaunchQuestionLabel,
    LaunchScope,
    RoundNew,
    RoundShow,
)
from handlers.rounds_jobs import MESSENGER, at_deadline
from handlers.rounds_render import card, similar_text, when
from handlers.texts import t

TITLE, BACKGROUND, QUESTION, QKIND, OPTIONS, MORE, FILE, SCOPE, PICK, QTLP, ATLP, DEADLINE, PREVIEW = range(
    220, 233
)
TYPED = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
DOCUMENT = filters.Document.ALL & filters.ChatType.PRIVATE
DAYS = (7, 14, 21)
QUESTION_LABELS = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.RED)  # AMBER+STRICT would shut out all asked


class LaunchAnswers(Draft):
    """The launch flow's answers so far; `key` launches it once however often Launch is tapped."""

    key: str
    kind: RoundKind
    title: str = ""
    background: str = ""
    questions: tuple[tuple[str, QuestionKind, tuple[str, ...]], ...] = ()
    pending: str | None = None  # a question typed, its kind not yet chosen
    delegations: tuple[str, ...] = ()
    question_tlp: Tlp = Tlp.GREEN
    answer_tlp: Tlp = Tlp.GREEN
    deadline: dt.datetime | None = None
    file_id: str | None = None


async def _lang(update: Update, context: BotContext) -> str:
    return (await context.viewer(update)).language


async def _zone(update: Update, context: BotContext) -> str:
    viewer = await context.viewer(update)
    return viewer.member.time_zone if viewer.member else "Europe/Brussels"


async def _begin(update: Update, context: BotContext, kind: RoundKind) -> int:
    await rounds.check_launcher(context.deps.uow, actor_of(update), kind)
    keep(context, LaunchAnswers(key=secrets.token_urlsafe(12), kind=kind))
    await show(update, t(await _lang(update, context), f"rounds.ask_title_{kind.value}"))
    return TITLE


@guarded
async def newround(update: Update, context: BotContext) -> int:
    """/newround: a query."""
    return await _begin(update, context, RoundKind.QUERY)


@guarded
async def new_button(update: Update, context: BotContext) -> int:
    """A 'new round' button of /rounds."""
    return await _begin(update, context, RoundNew.read(update).kind)


@guarded
async def got_title(update: Update, context: BotContext) -> int:
    """Keep the title; show earlier rounds like it; ask for the background (or the draft)."""
    assert update.message is not None
    title = check_title(update.message.text or "")
    answers = draft(context, LaunchAnswers).model_copy(update={"title": title})
    keep(context, answers)
    lang = await _lang(update, context)
    alike = await rounds.similar(context.deps.uow, actor_of(update), title)
    if alike:
        markup = keyboard(*grid([button(f"#{r.id}", RoundShow(r.id)) for r in alike], 3))
        await reply(update, similar_text(lang, alike), markup)
    await reply(update, t(lang, f"rounds.ask_background_{answers.kind.value}"))
    return BACKGROUND


@guarded
async def got_background(update: Update, context: BotContext) -> int:
    """Keep the background; a query asks its first question, a consultation its optional document."""
    assert update.message is not None
    answers = draft(context, LaunchAnswers).model_copy(
        update={"background": check_background(update.message.text or "")}
    )
    keep(context, answers)
    lang = await _lang(update, context)
    if answers.kind is RoundKind.CONSULTATION:
        await reply(
            update, t(lang, "rounds.ask_file"), keyboard([button(t(lang, "rounds.no_file"), LaunchNoFile())])
        )
        return FILE
    await reply(update, t(lang, "rounds.ask_question", n=1, most=MAX_QUESTIONS))
    return QUESTION


@guarded
async def got_question(update: Update, context: BotContext) -> int:
    """A question's text: how is it answered?"""
    assert update.message is not None
    text = check_question(update.message.text or "")
    keep(context, draft(context, LaunchAnswers).model_copy(update={"pending": text}))
    lang = await _lang(update, context)
    kinds = [button(t(lang, f"rounds.qkind.{k.value}"), LaunchQuestionKind(k)) for k in QuestionKind]
    await reply(update, t(lang, "rounds.ask_qkind"), keyboard(kinds))
    return QKIND


@guarded
async def got_qkind(update: Update, context: BotContext) -> int:
    """Free text and yes/no are complete; a choice needs its options."""
    kind = LaunchQuestionKind.read(update).kind
    answers = draft(context, LaunchAnswers)
    if answers.pending is None:
        raise InvalidInput("error.stale")
    if kind is QuestionKind.CHOICE:
        await show(update, t(await _lang(update, context), "rounds.ask_options"))
        return OPTIONS
    return await _question_done(update, context, answers, (answers.pending, kind, ()))


@guarded
async def got_options(update: Update, context: BotContext) -> int:
    """The options of a choice question."""
    assert update.message is not None
    answers = draft(context, LaunchAnswers)
    if answers.pending is None:
        raise InvalidInput("error.stale")
    options = check_options(update.message.text or "")
    return await _question_done(update, context, answers, (answers.pending, QuestionKind.CHOICE, options))


async def _question_done(
    update: Update,
    context: BotContext,
    answers: LaunchAnswers,
    question: tuple[str, QuestionKind, tuple[str, ...]],
) -> int:
    answers = answers.model_copy(update={"questions": (*answers.questions, question), "pending": None})
    keep(context, answers)
    if len(answers.questions) >= MAX_QUESTIONS:
        return await _ask_scope(update, context)
    lang = await _lang(update, context)
    choices = [
        button(t(lang, "rounds.more_question"), LaunchMore(True)),
        button(t(lang, "rounds.questions_done"), LaunchMore(False)),
    ]
    await show(update, t(lang, "rounds.question_added", count=len(answers.questions)), keyboard(choices))
    return MORE


@guarded
async def got_more(update: Update, context: BotContext) -> int:
    """Another question, or on to the delegations."""
    if LaunchMore.read(update).more:
        answers = draft(context, LaunchAnswers)
        await show(
            update,
            t(
                await _lang(update, context),
                "rounds.ask_question",
                n=len(answers.questions) + 1,
                most=MAX_QUESTIONS,
            ),
        )
        return QUESTION
    return await _ask_scope(update, context)


@guarded
async def got_file(update: Update, context: BotContext) -> int:
    """The consultation's document."""
    assert update.message is not None and update.message.document is not None
    keep(
        context, draft(context, LaunchAnswers).model_copy(update={"file_id": update.message.document.file_id})
    )
    return await _ask_scope(update, context)


@guarded
async def no_file(update: Update, context: BotContext) -> int:
    """No document: the text is the draft."""
    LaunchNoFile.read(update)
    return await _ask_scope(update, context)


async def _ask_scope(update: Update, context: BotContext) -> int:
    lang = await _lang(update, context)
    scopes = [button(t(lang, f"rounds.scope.{s.value}"), LaunchScope(s)) for s in Scope]
    await show(update, t(lang, "rounds.ask_scope"), keyboard(*grid(scopes, 1)))
    return SCOPE


@guarded
async def got_scope(update: Update, context: BotContext) -> int:
    """All member states, everyone, or a choice."""
    scope = LaunchScope.read(update).scope
    if scope is Scope.CHOSEN:
        keep(context, draft(context, LaunchAnswers).model_copy(update={"delegations": ()}))
        return await _show_picks(update, context)
    codes = await rounds.resolve_scope(context.deps.uow, actor_of(update), scope, ())
    keep(context, draft(context, LaunchAnswers).model_copy(update={"delegations": codes}))
    return await _ask_question_label(update, context)


async def _show_picks(update: Update, context: BotContext) -> int:
    answers = draft(context, LaunchAnswers)
    lang = await _lang(update, context)
    found = await delegations(context.deps.uow)
    picks = [
        button(("✅ " if d.code in answers.delegations else "") + d.code, LaunchPick(d.code)) for d in found
    ]
    done = [button(t(lang, "rounds.picked", count=len(answers.delegations)), LaunchPicked())]
    await show(update, t(lang, "rounds.ask_pick"), keyboard(*grid(picks, 5), done))
    return PICK


@guarded
async def got_pick(update: Update, context: BotContext) -> int:
    """Tick or untick one delegation."""
    code = LaunchPick.read(update).code
    answers = draft(context, LaunchAnswers)
    chosen = set(answers.delegations) ^ {code}
    keep(context, answers.model_copy(update={"delegations": tuple(sorted(chosen))}))
    return await _show_picks(update, context)


@guarded
async def got_picked(update: Update, context: BotContext) -> int:
    """The chosen delegations (checked by the service)."""
    LaunchPicked.read(update)
    answers = draft(context, LaunchAnswers)
    codes = await rounds.resolve_scope(context.deps.uow, actor_of(update), Scope.CHOSEN, answers.delegations)
    keep(context, answers.model_copy(update={"delegations": codes}))
    return await _ask_question_label(update, context)


async def _ask_question_label(update: Update, context: BotContext) -> int:
    lang = await _lang(update, context)
    labels = [button(tlp.value, LaunchQuestionLabel(tlp)) for tlp in QUESTION_LABELS]
    await show(update, t(lang, "rounds.ask_qtlp"), keyboard(*grid(labels, 2)))
    return QTLP


@guarded
async def got_question_label(update: Update, context: BotContext) -> int:
    """The questions' label; the answers' may be stricter, never looser."""
    tlp = LaunchQuestionLabel.read(update).tlp
    keep(context, draft(context, LaunchAnswers).model_copy(update={"question_tlp": tlp}))
    lang = await _lang(update, context)
    labels = [button(a.value, LaunchAnswerLabel(a)) for a in answer_labels(tlp)]
    await show(update, t(lang, "rounds.ask_atlp"), keyboard(*grid(labels, 2)))
    return ATLP


@guarded
async def got_answer_label(update: Update, context: BotContext) -> int:
    """The answers' label; then the deadline."""
    tlp = LaunchAnswerLabel.read(update).tlp
    answers = draft(context, LaunchAnswers)
    if tlp not in answer_labels(answers.question_tlp):
        raise InvalidInput("rounds.answer_looser")
    keep(context, answers.model_copy(update={"answer_tlp": tlp}))
    lang, zone = await _lang(update, context), await _zone(update, context)
    days = [button(t(lang, "rounds.in_days", days=d), LaunchDays(d)) for d in DAYS]
    await show(update, t(lang, "rounds.ask_deadline", zone=zone), keyboard(days))
    return DEADLINE


@guarded
async def got_days(update: Update, context: BotContext) -> int:
    """A deadline so many days ahead, 17:00 in the launcher's zone."""
    days = LaunchDays.read(update).days
    if days not in DAYS:
        raise InvalidInput("error.stale")
    zone = await _zone(update, context)
    today = context.deps.clock.now().astimezone(ZoneInfo(zone)).date()
    day = today + dt.timedelta(days=days)
    return await _preview(update, context, local_to_utc(dt.datetime(day.year, day.month, day.day, 17), zone))


@guarded
async def got_deadline(update: Update, context: BotContext) -> int:
    """A typed deadline in the launcher's zone."""
    assert update.message is not None
    return await _preview(
        update, context, parse_deadline(update.message.text or "", await _zone(update, context))
    )


def _round_draft(answers: LaunchAnswers, deadline: dt.datetime, zone: str) -> RoundDraft:
    return RoundDraft(
        key=answers.key,
        kind=answers.kind,
        title=answers.title,
        background=answers.background,
        questions=tuple(Question(text, kind, options) for text, kind, options in answers.questions),
        delegations=answers.delegations,
        question_tlp=answers.question_tlp,
        answer_tlp=answers.answer_tlp,
        deadline=deadline,
        zone=zone,
        attachment_file_id=answers.file_id,
    )


async def _preview(update: Update, context: BotContext, deadline: dt.datetime) -> int:
    now = context.deps.clock.now()
    check_deadline(deadline, now)
    answers = draft(context, LaunchAnswers).model_copy(update={"deadline": deadline})
    keep(context, answers)
    viewer = await context.viewer(update)
    lang, zone = viewer.language, await _zone(update, context)
    own = viewer.member.delegation.code if viewer.member else ""
    shown = preview(_round_draft(answers, deadline, zone), own, now)
    text = (
        t(lang, "rounds.preview_launch", codes=", ".join(answers.delegations))
        + "\n\n"
        + card(lang, zone, shown)
    )
    markup = keyboard([button(t(lang, "rounds.launch"), LaunchConfirm(answers.key))])
    await show_long(update, text, markup)
    return PREVIEW


@guarded
async def confirm(update: Update, context: BotContext) -> int:
    """Launch (once): every delegation asked is told."""
    key = LaunchConfirm.read(update).key
    answers = draft(context, LaunchAnswers)
    if answers.key != key or answers.deadline is None:
        raise InvalidInput("error.stale")
    zone = await _zone(update, context)
    now = context.deps.clock.now()
    rnd, _ = await rounds.launch(
        context.deps.uow, actor_of(update), _round_draft(answers, answers.deadline, zone), now, MESSENGER
    )
    drop(context, LaunchAnswers)
    context.deps.outbox.wake()
    at_deadline(context.job_queue, rnd, now)
    lang = await _lang(update, context)
    await show(
        update,
        t(lang, "rounds.launched", id=rnd.id, count=len(rnd.asked), deadline=when(rnd.deadline, zone)),
        keyboard([button(t(lang, "rounds.open_button"), RoundShow(rnd.id))]),
    )
    return END


def handlers() -> list[object]:
    """The launch flow."""
    return [
        guided(
            "round_launch",
            entry_points=[
                CommandHandler("newround", newround, filters=filters.ChatType.PRIVATE),
                CallbackQueryHandler(new_button, pattern=RoundNew.pattern),
            ],
            states={
                TITLE: [MessageHandler(TYPED, got_title)],
                BACKGROUND: [MessageHandler(TYPED, got_background)],
                QUESTION: [MessageHandler(TYPED, got_question)],
                QKIND: [CallbackQueryHandler(got_qkind, pattern=LaunchQuestionKind.pattern)],
                OPTIONS: [MessageHandler(TYPED, got_options)],
                MORE: [CallbackQueryHandler(got_more, pattern=LaunchMore.pattern)],
                FILE: [
                    MessageHandler(DOCUMENT, got_file),
                    CallbackQueryHandler(no_file, pattern=LaunchNoFile.pattern),
                ],
                SCOPE: [CallbackQueryHandler(got_scope, pattern=LaunchScope.pattern)],
                PICK: [
                    CallbackQueryHandler(got_pick, pattern=LaunchPick.pattern),
                    CallbackQueryHandler(got_picked, pattern=LaunchPicked.pattern),
                ],
                QTLP: [CallbackQueryHandler(got_question_label, pattern=LaunchQuestionLabel.pattern)],
                ATLP: [CallbackQueryHandler(got_answer_label, pattern=LaunchAnswerLabel.pattern)],
                DEADLINE: [
                    MessageHandler(TYPED, got_deadline),
                    CallbackQueryHandler(got_days, pattern=LaunchDays.pattern),
                ],
                PREVIEW: [CallbackQueryHandler(confirm, pattern=LaunchConfirm.pattern)],
            },
            answers=LaunchAnswers,
        )
    ]
