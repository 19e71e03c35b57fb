"""Rounds as members read them: the round's card, a delegation's answer, the live status, the
compilation message and /rounds. Pure functions of values; user text escaped."""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

from bot.domain.model import Member
from bot.domain.rounds import Answer, Compiled, Question, QuestionKind, Reply, Round, RoundKind, Stage
from bot.domain.splitting import pack_blocks
from bot.services.rounds import Listing, RoundView
from handlers.texts import Html, t

EXCERPT = 160  # characters of each answer the compilation message shows (the documents have all)
MAX_PARTS = 4  # messages a compilation may take; the rest is in the documents


def when(moment: dt.datetime, zone: str) -> str:
    """'2026-12-04 17:00 (Europe/Brussels)'."""
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"


def excerpt(text: str, limit: int = EXCERPT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def reply_name(lang: str, reply: Reply) -> str:
    return t(lang, f"rounds.reply.{reply.value}")


def question_line(lang: str, index: int, question: Question) -> str:
    """'1. Text (yes / no / partly)'."""
    text = html.escape(question.text)
    if question.kind is QuestionKind.YESNO:
        return f"{index}. {text} <i>({t(lang, 'rounds.yesno_hint')})</i>"
    if question.kind is QuestionKind.CHOICE:
        options = " / ".join(html.escape(o) for o in question.options)
        return f"{index}. {text} <i>({options})</i>"
    return f"{index}. {text}"


def card(lang: str, zone: str, rnd: Round) -> str:
    """What the round asks, under its label, with its deadline."""
    lines = [
        t(
            lang,
            f"rounds.card_{rnd.kind.value}",
            id=rnd.id,
            qtlp=rnd.question_tlp.value,
            atlp=rnd.answer_tlp.value,
        ),
        f"<b>{html.escape(rnd.title)}</b>",
        t(lang, "rounds.card_from", code=rnd.delegation_code, deadline=when(rnd.deadline, zone)),
    ]
    if rnd.closed_early_at is not None:
        lines.append(t(lang, "rounds.closed_early_at", at=when(rnd.closed_early_at, zone)))
    if rnd.background:
        lines += ["", html.escape(rnd.background)]
    if rnd.questions:
        lines += ["", *(question_line(lang, i + 1, q) for i, q in enumerate(rnd.questions))]
    return "\n".join(lines)


def value_text(lang: str, value: str) -> str:
    """A stored value as read: 'Partly — comment'."""
    choice, newline, comment = value.partition("\n")
    if choice in ("yes", "no", "partly") and (newline or value == choice):
        named = t(lang, f"rounds.choice.{choice}")
        return f"{named} — {html.escape(comment)}" if comment else named
    return html.escape(value)


def answer_block(lang: str, zone: str, answer: Answer, *, short: bool = False) -> str:
    """A delegation's answer: one tap, a verdict with its text, or a value per question."""
    head = t(
        lang,
        "rounds.answer_head",
        code=answer.delegation_code,
        reply=reply_name(lang, answer.reply),
        at=when(answer.at, zone),
    )
    if not answer.values:
        return head
    if answer.reply is not Reply.ANSWERED:
        body = excerpt(answer.values[0]) if short else answer.values[0]
        attached = f"\n{t(lang, 'rounds.with_document')}" if answer.file_id else ""
        return f"{head}\n{html.escape(body)}{attached}"
    lines = [head]
    for i, value in enumerate(answer.values):
        shown = value_text(lang, excerpt(value) if short else value)
        lines.append(f"{i + 1}. {shown}")
    return "\n".join(lines)


def round_view(lang: str, view: RoundView, now: dt.datetime) -> str:
    """The card, and where the member's delegation stands."""
    zone = view.member.time_zone
    rnd = view.round
    lines = [card(lang, zone, rnd), ""]
    if not rnd.open:
        lines.append(t(lang, "rounds.compiled_at", at=when(rnd.compiled_at or rnd.deadline, zone)))
    elif view.own is not None:
        lines.append(answer_block(lang, zone, view.own))
        if rnd.accepts_answers(now) and view.may_answer:
            lines.append(t(lang, "rounds.can_change"))
    elif view.may_answer:
        lines.append(t(lang, "rounds.not_answered_yet"))
    return "\n".join(lines)


def status_text(lang: str, view: RoundView) -> str:
    """Who answered and who has not, then the submitted answers (never a draft)."""
    zone = view.member.time_zone
    rnd, answers = view.round, view.answers or {}
    waiting = [c for c in rnd.asked if c not in answers]
    lines = [
        t(
            lang,
            "rounds.status_head",
            id=rnd.id,
            title=rnd.title,
            answered=len(answers),
            asked=len(rnd.asked),
        ),
        t(lang, "rounds.status_waiting", codes=", ".join(waiting) or "—"),
        "",
    ]
    lines += [answer_block(lang, zone, answers[c], short=True) for c in rnd.asked if c in answers]
    return "\n".join(lines)


def headline_text(lang: str, compiled: Compiled) -> str:
    head = compiled.headline
    text = t(
        lang,
        "rounds.headline",
        asked=head.asked,
        answered=head.answered,
        no_information=head.no_information,
        not_applicable=head.not_applicable,
        silence=head.silence,
    )
    if compiled.outcome is not None:
        text += "\n" + t(lang, f"rounds.outcome.{compiled.outcome.value}")
    return text


def compilation_text(lang: str, zone: str, compiled: Compiled) -> list[str]:
    """The compilation message: headline, then per question the answers grouped by delegation (excerpts:
    the attached documents hold every answer in full). At most MAX_PARTS messages."""
    rnd = compiled.round
    blocks = [
        t(lang, "rounds.compilation_head", id=rnd.id, title=rnd.title, tlp=rnd.answer_tlp.value),
        headline_text(lang, compiled),
    ]
    answered = [compiled.answers[c] for c in rnd.asked if c in compiled.answers]
    if rnd.kind is RoundKind.CONSULTATION:
        for answer in answered:
            blocks.append(answer_block(lang, zone, answer, short=True))
    for i, question in enumerate(rnd.questions):
        lines = [f"<b>{question_line(lang, i + 1, question)}</b>"]
        for answer in answered:
            if answer.reply is Reply.ANSWERED:
                lines.append(
                    f"• <b>{answer.delegation_code}</b>: {value_text(lang, excerpt(answer.values[i]))}"
                )
        others = [a.delegation_code for a in answered if a.reply is not Reply.ANSWERED]
        if others:
            lines.append(t(lang, "rounds.no_answer_codes", codes=", ".join(others)))
        blocks.append("\n".join(lines))
    parts = pack_blocks(blocks)
    if len(parts) > MAX_PARTS:
        parts = [*parts[: MAX_PARTS - 1], t(lang, "rounds.more_in_documents")]
    else:
        parts[-1] += "\n\n" + t(lang, "rounds.documents_follow")
    return parts


def stage_text(lang: str, zone: str, rnd: Round, stage: Stage) -> str:
    """A reminder: the round, its deadline in the member's zone; their delegation has not answered."""
    return "\n".join(
        [
            t(lang, f"rounds.reminder.{stage.value}", deadline=when(rnd.deadline, zone)),
            "",
            card(lang, zone, rnd),
        ]
    )


def listing_text(lang: str, member: Member, found: Listing) -> str:
    """/rounds: waiting for the member's delegation first."""
    zone = member.time_zone
    lines = [t(lang, "rounds.list_head")]

    def line(rnd: Round) -> str:
        return t(
            lang,
            "rounds.list_line",
            id=rnd.id,
            title=rnd.title,
            kind=t(lang, f"rounds.kind.{rnd.kind.value}"),
            deadline=when(rnd.deadline, zone),
        )

    for key, rounds in (
        ("rounds.list_waiting", found.waiting),
        ("rounds.list_open", found.open),
        ("rounds.list_closed", found.closed),
    ):
        if rounds:
            lines += ["", t(lang, key), *(line(r) for r in rounds)]
    if len(lines) == 1:
        lines.append(t(lang, "rounds.list_none"))
    return "\n".join(lines)


def similar_text(lang: str, rounds: list[Round]) -> Html:
    """Earlier rounds that look like the same question."""
    lines = [t(lang, "rounds.similar_head")]
    lines += [
        t(
            lang,
            "rounds.similar_line",
            id=r.id,
            title=r.title,
            status=t(lang, f"rounds.status.{r.status.value}"),
        )
        for r in rounds
    ]
    return Html("\n".join(lines))
