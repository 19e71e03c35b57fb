"""Launching a round: /newround (a query) or the buttons of /rounds (admins: a written consultation).

Title (earlier rounds that look alike are shown), background or draft text, the questions (each: text,
then how it is answered), the delegations asked, the questions' label and the answers' (never looser),
the deadline in the launcher's zone, a preview, launch. /cancel at any step."""

from __future__ import annotations

import secrets

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.round_checks import (
    check_background,
    check_options,
    check_question,
    check_title,
)
from bot.domain.rounds import MAX_QUESTIONS, QuestionKind, RoundKind
from bot.services import rounds
from handlers.context import BotContext
from handlers.flow import draft, guided, keep
from handlers.keyboards import button, grid, keyboard
from handlers.respond import actor_of, guarded, reply, show
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
from handlers.rounds_launch_steps import (
    ATLP,
    BACKGROUND,
    DEADLINE,
    DOCUMENT,
    FILE,
    MORE,
    OPTIONS,
    PICK,
    PREVIEW,
    QKIND,
    QTLP,
    QUESTION,
    SCOPE,
    TITLE,
    TYPED,
    LaunchAnswers,
    ask_scope,
    confirm,
    got_answer_label,
    got_days,
    got_deadline,
    got_pick,
    got_picked,
    got_question_label,
    got_scope,
    lang_of,
)
from handlers.rounds_render import similar_text
from handlers.texts import t


async def _begin(update: Update, context: BotContext, kind: RoundKind) -> int:
    await rounds.check_launcher(context.deps.uow, actor_of(update), kind)
    keep(context, LaunchAnswers(key=secrets.token_urlsafe(12), kind=kind))
    await show(update, t(await lang_of(update, context), f"rounds.ask_title_{kind.value}"))
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
    lang = await lang_of(update, context)
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
    lang = await lang_of(update, context)
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
    lang = await lang_of(update, context)
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
        await show(update, t(await lang_of(update, context), "rounds.ask_options"))
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
        return await ask_scope(update, context)
    lang = await lang_of(update, context)
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
                await lang_of(update, context),
                "rounds.ask_question",
                n=len(answers.questions) + 1,
                most=MAX_QUESTIONS,
            ),
        )
        return QUESTION
    return await ask_scope(update, context)


@guarded
async def got_file(update: Update, context: BotContext) -> int:
    """The consultation's document."""
    assert update.message is not None and update.message.document is not None
    keep(
        context, draft(context, LaunchAnswers).model_copy(update={"file_id": update.message.document.file_id})
    )
    return await ask_scope(update, context)


@guarded
async def no_file(update: Update, context: BotContext) -> int:
    """No document: the text is the draft."""
    LaunchNoFile.read(update)
    return await ask_scope(update, context)


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
