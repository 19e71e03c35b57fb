"""The later steps of launching a round (handlers.rounds_launch): the delegations asked, the labels, the
deadline, the preview and the launch; and the draft every step keeps."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import filters

from bot.domain.errors import InvalidInput
from bot.domain.round_checks import (
    answer_labels,
)
from bot.domain.round_times import check_deadline, local_to_utc, parse_deadline
from bot.domain.rounds import Question, QuestionKind, RoundDraft, RoundKind, Scope, preview
from bot.domain.vocab import Tlp
from bot.services import rounds
from bot.services.catalog import delegations
from handlers.context import BotContext
from handlers.flow import END, Draft, draft, drop, keep
from handlers.keyboards import button, grid, keyboard
from handlers.respond import actor_of, guarded, show, show_long
from handlers.rounds_buttons import (
    LaunchAnswerLabel,
    LaunchConfirm,
    LaunchDays,
    LaunchPick,
    LaunchPicked,
    LaunchQuestionLabel,
    LaunchScope,
    RoundShow,
)
from handlers.rounds_jobs import MESSENGER, at_deadline
from handlers.rounds_render import card, when
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


async def lang_of(update: Update, context: BotContext) -> str:
    return (await context.viewer(update)).language


async def zone_of(update: Update, context: BotContext) -> str:
    viewer = await context.viewer(update)
    return viewer.member.time_zone if viewer.member else "Europe/Brussels"


async def ask_scope(update: Update, context: BotContext) -> int:
    lang = await lang_of(update, context)
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
    lang = await lang_of(update, context)
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
    lang = await lang_of(update, context)
    labels = [button(tlp.value, LaunchQuestionLabel(tlp)) for tlp in QUESTION_LABELS]
    await show(update, t(lang, "rounds.ask_qtlp"), keyboard(*grid(labels, 2)))
    return QTLP


@guarded
async def got_question_label(update: Update, context: BotContext) -> int:
    """The questions' label; the answers' may be stricter, never looser."""
    tlp = LaunchQuestionLabel.read(update).tlp
    answers = draft(context, LaunchAnswers)
    await rounds.check_readers(context.deps.uow, actor_of(update), answers.delegations, tlp)
    keep(context, answers.model_copy(update={"question_tlp": tlp}))
    lang = await lang_of(update, context)
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
    lang, zone = await lang_of(update, context), await zone_of(update, context)
    days = [button(t(lang, "rounds.in_days", days=d), LaunchDays(d)) for d in DAYS]
    await show(update, t(lang, "rounds.ask_deadline", zone=zone), keyboard(days))
    return DEADLINE


@guarded
async def got_days(update: Update, context: BotContext) -> int:
    """A deadline so many days ahead, 17:00 in the launcher's zone."""
    days = LaunchDays.read(update).days
    if days not in DAYS:
        raise InvalidInput("error.stale")
    zone = await zone_of(update, context)
    today = context.deps.clock.now().astimezone(ZoneInfo(zone)).date()
    day = today + dt.timedelta(days=days)
    return await _preview(update, context, local_to_utc(dt.datetime(day.year, day.month, day.day, 17), zone))


@guarded
async def got_deadline(update: Update, context: BotContext) -> int:
    """A typed deadline in the launcher's zone."""
    assert update.message is not None
    return await _preview(
        update, context, parse_deadline(update.message.text or "", await zone_of(update, context))
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
    lang, zone = viewer.language, await zone_of(update, context)
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
    zone = await zone_of(update, context)
    now = context.deps.clock.now()
    rnd, _ = await rounds.launch(
        context.deps.uow, actor_of(update), _round_draft(answers, answers.deadline, zone), now, MESSENGER
    )
    drop(context, LaunchAnswers)
    context.deps.outbox.wake()
    at_deadline(context.job_queue, rnd, now)
    lang = await lang_of(update, context)
    await show(
        update,
        t(lang, "rounds.launched", id=rnd.id, count=len(rnd.asked), deadline=when(rnd.deadline, zone)),
        keyboard([button(t(lang, "rounds.open_button"), RoundShow(rnd.id))]),
    )
    return END
