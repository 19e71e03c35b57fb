"""A delegation answers: question by question (typed text, yes/no/partly with a comment, or an option),
then submit; 'no information', 'not applicable' and 'agree' in one tap; a consultation's comments or
objection with their text. Nothing is stored before submitting: a launcher never sees a draft."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.posting import protected
from bot.domain.round_checks import check_answer_text
from bot.domain.rounds import QuestionKind, Reply, Round
from bot.services import round_answers
from handlers.context import BotContext
from handlers.flow import END, Draft, draft, drop, guided, keep
from handlers.keyboards import button, grid, keyboard
from handlers.respond import actor_of, guarded, show, show_long
from handlers.rounds_buttons import (
    RoundAnswer,
    RoundNoComment,
    RoundOption,
    RoundShow,
    RoundSubmit,
    RoundTap,
    RoundVerdict,
    RoundYesNo,
)
from handlers.rounds_render import question_line, value_text
from handlers.texts import t

TEXT, YESNO, CHOICE, COMMENT, CONFIRM, VERDICT_TEXT = range(210, 216)
TYPED = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
DOCUMENT = filters.Document.ALL & filters.ChatType.PRIVATE


class AnswerDraft(Draft):
    """The answers given so far, one per question; `choice` waits for its comment."""

    round: int
    values: tuple[str, ...] = ()
    choice: str | None = None
    reply: Reply | None = None  # a consultation's comments or objection


async def _ask_next(update: Update, context: BotContext, rnd: Round, answers: AnswerDraft) -> int:
    """The next question, or the preview with Submit."""
    lang = (await context.viewer(update)).language
    protect = protected(rnd.question_tlp)
    index = len(answers.values)
    if index == len(rnd.questions):
        lines = [t(lang, "rounds.preview", title=rnd.title)]
        lines += [
            f"{question_line(lang, i + 1, q)}\n→ {value_text(lang, v)}"
            for i, (q, v) in enumerate(zip(rnd.questions, answers.values, strict=True))
        ]
        markup = keyboard([button(t(lang, "rounds.submit"), RoundSubmit(rnd.id))])
        await show_long(update, "\n\n".join(lines), markup, protect=protect)
        return CONFIRM
    question = rnd.questions[index]
    text = f"{question_line(lang, index + 1, question)}"
    if question.kind is QuestionKind.YESNO:
        choices = [button(t(lang, f"rounds.choice.{c}"), RoundYesNo(c)) for c in ("yes", "no", "partly")]
        await show(update, text, keyboard(choices), protect=protect)
        return YESNO
    if question.kind is QuestionKind.CHOICE:
        options = [button(o[:40], RoundOption(i)) for i, o in enumerate(question.options)]
        await show(update, text, keyboard(*grid(options, 2)), protect=protect)
        return CHOICE
    await show(update, f"{text}\n\n{t(lang, 'rounds.type_answer')}", protect=protect)
    return TEXT


async def _round(update: Update, context: BotContext, round_id: int) -> Round:
    return await round_answers.answerable(
        context.deps.uow, actor_of(update), round_id, context.deps.clock.now()
    )


@guarded
async def begin(update: Update, context: BotContext) -> int:
    """Answer a query: the first question."""
    round_id = RoundAnswer.read(update).round
    rnd = await _round(update, context, round_id)
    answers = AnswerDraft(round=round_id)
    keep(context, answers)
    return await _ask_next(update, context, rnd, answers)


async def _add(update: Update, context: BotContext, value: str) -> int:
    answers = draft(context, AnswerDraft)
    rnd = await _round(update, context, answers.round)
    answers = answers.model_copy(update={"values": (*answers.values, value), "choice": None})
    keep(context, answers)
    return await _ask_next(update, context, rnd, answers)


@guarded
async def got_text(update: Update, context: BotContext) -> int:
    """A typed answer."""
    assert update.message is not None
    return await _add(update, context, check_answer_text(update.message.text or ""))


@guarded
async def got_yesno(update: Update, context: BotContext) -> int:
    """Yes, no or partly: a comment may follow."""
    choice = RoundYesNo.read(update).choice
    keep(context, draft(context, AnswerDraft).model_copy(update={"choice": choice}))
    lang = (await context.viewer(update)).language
    await show(
        update,
        t(lang, "rounds.ask_comment"),
        keyboard([button(t(lang, "rounds.no_comment"), RoundNoComment())]),
    )
    return COMMENT


@guarded
async def got_comment(update: Update, context: BotContext) -> int:
    """The comment after yes/no/partly."""
    assert update.message is not None
    answers = draft(context, AnswerDraft)
    if answers.choice is None:
        raise InvalidInput("error.stale")
    return await _add(update, context, f"{answers.choice}\n{check_answer_text(update.message.text or '')}")


@guarded
async def no_comment(update: Update, context: BotContext) -> int:
    """Yes/no/partly without a comment."""
    RoundNoComment.read(update)
    answers = draft(context, AnswerDraft)
    if answers.choice is None:
        raise InvalidInput("error.stale")
    return await _add(update, context, answers.choice)


@guarded
async def got_option(update: Update, context: BotContext) -> int:
    """One of the options."""
    index = RoundOption.read(update).index
    answers = draft(context, AnswerDraft)
    rnd = await _round(update, context, answers.round)
    question = rnd.questions[len(answers.values)] if len(answers.values) < len(rnd.questions) else None
    if question is None or question.kind is not QuestionKind.CHOICE or index >= len(question.options):
        raise InvalidInput("error.stale")
    return await _add(update, context, question.options[index])


@guarded
async def submit(update: Update, context: BotContext) -> int:
    """Store the delegation's answer (the service checks the deadline and the delegation again)."""
    round_id = RoundSubmit.read(update).round
    answers = draft(context, AnswerDraft)
    if answers.round != round_id:
        raise InvalidInput("error.stale")
    await _submit(update, context, round_id, Reply.ANSWERED, answers.values)
    drop(context, AnswerDraft)
    return END


async def _submit(
    update: Update,
    context: BotContext,
    round_id: int,
    given: Reply,
    values: tuple[str, ...],
    file_id: str | None = None,
) -> None:
    rnd, first = await round_answers.answer(
        context.deps.uow, actor_of(update), round_id, given, values, context.deps.clock.now(), file_id
    )
    lang = (await context.viewer(update)).language
    text = t(
        lang,
        "rounds.answered" if first else "rounds.answer_changed",
        id=rnd.id,
        title=rnd.title,
        reply=t(lang, f"rounds.reply.{given.value}"),
    )
    await show(update, text, keyboard([button(t(lang, "rounds.open_button"), RoundShow(rnd.id))]))


@guarded
async def one_tap(update: Update, context: BotContext) -> None:
    """'No information', 'not applicable' or 'agree', at once."""
    pressed = RoundTap.read(update)
    await _submit(update, context, pressed.round, pressed.reply, ())


@guarded
async def ask_verdict_text(update: Update, context: BotContext) -> int:
    """Comments or objection: the text is required."""
    pressed = RoundVerdict.read(update)
    await _round(update, context, pressed.round)
    keep(context, AnswerDraft(round=pressed.round, reply=pressed.reply))
    lang = (await context.viewer(update)).language
    await show(update, t(lang, f"rounds.ask_{pressed.reply.value}"))
    return VERDICT_TEXT


@guarded
async def got_verdict_text(update: Update, context: BotContext) -> int:
    """Submit the comments or objection with its text, or a document with the text as its caption."""
    message = update.message
    assert message is not None
    answers = draft(context, AnswerDraft)
    if answers.reply is None:
        raise InvalidInput("error.stale")
    file_id = message.document.file_id if message.document else None
    text = message.caption if message.document else message.text
    await _submit(update, context, answers.round, answers.reply, (text or "",), file_id)
    drop(context, AnswerDraft)
    return END


def handlers() -> list[object]:
    """The answer flows, then the one-tap answers."""
    flow = guided(
        "round_answer",
        entry_points=[
            CallbackQueryHandler(begin, pattern=RoundAnswer.pattern),
            CallbackQueryHandler(ask_verdict_text, pattern=RoundVerdict.pattern),
        ],
        states={
            TEXT: [MessageHandler(TYPED, got_text)],
            YESNO: [CallbackQueryHandler(got_yesno, pattern=RoundYesNo.pattern)],
            COMMENT: [
                MessageHandler(TYPED, got_comment),
                CallbackQueryHandler(no_comment, pattern=RoundNoComment.pattern),
            ],
            CHOICE: [CallbackQueryHandler(got_option, pattern=RoundOption.pattern)],
            CONFIRM: [CallbackQueryHandler(submit, pattern=RoundSubmit.pattern)],
            VERDICT_TEXT: [MessageHandler(TYPED | DOCUMENT, got_verdict_text)],
        },
        answers=AnswerDraft,
    )
    return [flow, CallbackQueryHandler(one_tap, pattern=RoundTap.pattern)]
