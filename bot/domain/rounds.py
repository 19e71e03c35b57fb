"""Consultation rounds: queries and written consultations, one engine. Values and pure rules.

A launcher asks delegations 1–10 questions (a query) or circulates a draft (a written consultation) under
a TLP label and with a deadline; each asked delegation gives one answer, which any of its contacts may
change until the deadline; reminders go to those who have not answered; at the deadline the round is
compiled once. For a written consultation silence counts as agreement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.errors import InvalidInput
from bot.domain.typed import check_typed
from bot.domain.vocab import Tlp

TITLE_LIMIT = 200
BACKGROUND_LIMIT = 2000
QUESTION_LIMIT = 1000
OPTION_LIMIT = 100
ANSWER_LIMIT = 4000
MAX_QUESTIONS = 10
MAX_OPTIONS = 8
MIN_LEAD = dt.timedelta(hours=24)
MAX_LEAD = dt.timedelta(days=180)
LABELS = list(Tlp)  # least to most restricted


class RoundKind(StrEnum):
    """A query (questions) or a written consultation (a draft to agree to)."""

    QUERY = "query"
    CONSULTATION = "consultation"


class QuestionKind(StrEnum):
    """How a question is answered."""

    TEXT = "text"
    YESNO = "yesno"  # yes / no / partly, with an optional comment
    CHOICE = "choice"  # one of the options


class Reply(StrEnum):
    """What a delegation's answer says as a whole (SILENCE is never stored: it is its absence)."""

    ANSWERED = "answered"
    NO_INFORMATION = "no_information"
    NOT_APPLICABLE = "not_applicable"
    AGREE = "agree"
    COMMENTS = "comments"
    OBJECTION = "objection"
    SILENCE = "silence"


QUERY_REPLIES = (Reply.ANSWERED, Reply.NO_INFORMATION, Reply.NOT_APPLICABLE)
CONSULTATION_REPLIES = (Reply.AGREE, Reply.COMMENTS, Reply.OBJECTION)
YESNO = ("yes", "no", "partly")


class RoundStatus(StrEnum):
    """Open until compiled."""

    OPEN = "open"
    COMPILED = "compiled"


class Outcome(StrEnum):
    """A written consultation's result."""

    ADOPTED = "adopted"
    ADOPTED_WITH_COMMENTS = "adopted_with_comments"
    NOT_ADOPTED = "not_adopted"


class Stage(StrEnum):
    """The reminders a delegation that has not answered receives, in order."""

    OPEN = "open"
    DAYS3 = "3d"
    DAY1 = "1d"
    HOURS2 = "2h"


class Scope(StrEnum):
    """Which delegations a round asks."""

    MEMBER_STATES = "member_states"
    EVERYONE = "everyone"
    CHOSEN = "chosen"


@dataclass(frozen=True, slots=True)
class Question:
    """One question; `options` for a choice."""

    text: str
    kind: QuestionKind = QuestionKind.TEXT
    options: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "kind": self.kind.value, "options": list(self.options)}

    @classmethod
    def from_json(cls, value: Mapping[str, object]) -> Question:
        options = value.get("options") or []
        assert isinstance(options, list)
        return cls(str(value["text"]), QuestionKind(str(value["kind"])), tuple(str(o) for o in options))


@dataclass(frozen=True, slots=True)
class RoundDraft:
    """A round as its launcher confirms it; `key` makes a second confirmation launch it once."""

    key: str
    kind: RoundKind
    title: str
    background: str
    questions: tuple[Question, ...]
    delegations: tuple[str, ...]
    question_tlp: Tlp
    answer_tlp: Tlp
    deadline: dt.datetime
    zone: str
    attachment_file_id: str | None = None


@dataclass(frozen=True, slots=True)
class Round:
    """A launched round."""

    id: int
    kind: RoundKind
    title: str
    background: str
    questions: tuple[Question, ...]
    launcher_id: int
    delegation_code: str
    question_tlp: Tlp
    answer_tlp: Tlp
    deadline: dt.datetime
    zone: str
    status: RoundStatus
    asked: tuple[str, ...]
    created_at: dt.datetime
    attachment_file_id: str | None = None
    closed_early_at: dt.datetime | None = None
    compiled_at: dt.datetime | None = None
    outcome: Outcome | None = None

    @property
    def job(self) -> str:
        """The outbox job of its messages."""
        return f"round:{self.id}"

    @property
    def open(self) -> bool:
        return self.status is RoundStatus.OPEN

    def accepts_answers(self, now: dt.datetime) -> bool:
        """Answers may be given and changed until the deadline."""
        return self.open and now < self.deadline


@dataclass(frozen=True, slots=True)
class Answer:
    """A delegation's answer as it stands (or one of its earlier versions)."""

    round_id: int
    delegation_code: str
    reply: Reply
    values: tuple[str, ...]
    member_id: int | None
    at: dt.datetime
    file_id: str | None = None


@dataclass(frozen=True, slots=True)
class Headline:
    """What a compilation says first: asked, answered, no information / not applicable, silence."""

    asked: int
    answered: int
    no_information: int
    not_applicable: int
    silence: int
    by_reply: dict[Reply, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A round at its compilation: the answers by delegation, silence included, and the outcome."""

    round: Round
    answers: dict[str, Answer]
    headline: Headline
    outcome: Outcome | None


def check_text(text: str, limit: int, empty_id: str, long_id: str, *, lines: bool = True) -> str:
    """A typed text within its limits, without control characters."""
    check_typed(text, lines=lines)
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput(empty_id, limit=limit)
    if len(cleaned) > limit:
        raise InvalidInput(long_id, limit=limit, length=len(cleaned))
    return cleaned


def check_title(text: str) -> str:
    return check_text(text, TITLE_LIMIT, "rounds.title_empty", "rounds.too_long", lines=False)


def check_background(text: str) -> str:
    return check_text(text, BACKGROUND_LIMIT, "rounds.text_empty", "rounds.too_long")


def check_question(text: str) -> str:
    return check_text(text, QUESTION_LIMIT, "rounds.text_empty", "rounds.too_long")


def check_options(text: str) -> tuple[str, ...]:
    """Options typed one a line (or separated by ';'): 2 to 8, each short."""
    check_typed(text)
    pieces = [p.strip() for line in text.splitlines() for p in line.split(";")]
    options = tuple(dict.fromkeys(p for p in pieces if p))
    if not 2 <= len(options) <= MAX_OPTIONS or any(len(o) > OPTION_LIMIT for o in options):
        raise InvalidInput("rounds.options_bad", most=MAX_OPTIONS, limit=OPTION_LIMIT)
    return options


def check_answer_text(text: str) -> str:
    return check_text(text, ANSWER_LIMIT, "rounds.text_empty", "rounds.too_long")


def check_labels(question_tlp: Tlp, answer_tlp: Tlp) -> None:
    """Answers may be stricter than the questions, never looser."""
    if LABELS.index(answer_tlp) < LABELS.index(question_tlp):
        raise InvalidInput("rounds.answer_looser")


def answer_labels(question_tlp: Tlp) -> tuple[Tlp, ...]:
    """The labels the compiled answers may carry."""
    return tuple(LABELS[LABELS.index(question_tlp) :])


def check_deadline(deadline: dt.datetime, now: dt.datetime, *, lead: dt.timedelta = MIN_LEAD) -> None:
    """At least `lead` ahead (24 hours at launch), at most half a year."""
    if deadline < now + lead:
        raise InvalidInput("rounds.deadline_soon", hours=int(lead.total_seconds() // 3600))
    if deadline > now + MAX_LEAD:
        raise InvalidInput("rounds.deadline_far")


def parse_deadline(text: str, zone: str) -> dt.datetime:
    """'2026-12-15 17:00' (or '15/12/2026 17:00') in `zone`, as UTC; a time a clock change skips is
    refused."""
    check_typed(text, lines=False)
    cleaned = " ".join(text.split())
    for pattern in ("%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            naive = dt.datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
        if len(pattern) <= 8:  # a date alone: the end of the working day
            naive = naive.replace(hour=17)
        return local_to_utc(naive, zone)
    raise InvalidInput("rounds.deadline_format")


def local_to_utc(naive: dt.datetime, zone: str) -> dt.datetime:
    """A wall-clock time in `zone` as UTC; a time skipped by a clock change is refused."""
    tz = ZoneInfo(zone)
    aware = naive.replace(tzinfo=tz)
    back = aware.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
    if back != naive:
        raise InvalidInput("rounds.deadline_skipped")
    return aware.astimezone(dt.UTC)


def stage_times(deadline: dt.datetime, zone: str) -> dict[Stage, dt.datetime]:
    """When each reminder after the opening one is due: 3 days and 1 day before at the same wall-clock time
    in the round's zone (so a clock change between does not move it by an hour), and 2 hours before."""
    local = deadline.astimezone(ZoneInfo(zone)).replace(tzinfo=None)

    def before(days: int) -> dt.datetime:
        wall = local - dt.timedelta(days=days)
        aware = wall.replace(tzinfo=ZoneInfo(zone))
        return aware.astimezone(dt.UTC)

    return {Stage.DAYS3: before(3), Stage.DAY1: before(1), Stage.HOURS2: deadline - dt.timedelta(hours=2)}


def due_stage(deadline: dt.datetime, zone: str, now: dt.datetime) -> Stage | None:
    """The latest reminder due by `now` before the deadline (earlier ones missed are not sent late)."""
    if now >= deadline:
        return None
    due = [stage for stage, at in stage_times(deadline, zone).items() if at <= now]
    return due[-1] if due else None


def next_stage_at(deadline: dt.datetime, zone: str, now: dt.datetime) -> dt.datetime | None:
    """When the next reminder falls due after `now`, if any before the deadline."""
    later = [at for at in stage_times(deadline, zone).values() if now < at < deadline]
    return min(later) if later else None


def check_values(questions: tuple[Question, ...], values: tuple[str, ...]) -> tuple[str, ...]:
    """One value per question: text within limits, 'yes'/'no'/'partly' with an optional comment after a
    line break, or one of the options."""
    if len(values) != len(questions):
        raise InvalidInput("error.stale")
    checked = []
    for question, value in zip(questions, values, strict=True):
        if question.kind is QuestionKind.TEXT:
            checked.append(check_answer_text(value))
        elif question.kind is QuestionKind.YESNO:
            choice, _, comment = value.partition("\n")
            if choice not in YESNO:
                raise InvalidInput("error.stale")
            checked.append(f"{choice}\n{check_answer_text(comment)}" if comment.strip() else choice)
        else:
            if value not in question.options:
                raise InvalidInput("error.stale")
            checked.append(value)
    return tuple(checked)


def check_reply(
    kind: RoundKind, reply: Reply, values: tuple[str, ...], questions: tuple[Question, ...]
) -> tuple[str, ...]:
    """A whole answer: a query's answers to every question, or one tap; a consultation's verdict, with its
    text (required for an objection and for comments)."""
    if kind is RoundKind.QUERY:
        if reply not in QUERY_REPLIES:
            raise InvalidInput("error.stale")
        return check_values(questions, values) if reply is Reply.ANSWERED else ()
    if reply not in CONSULTATION_REPLIES:
        raise InvalidInput("error.stale")
    if reply is Reply.AGREE:
        return ()
    if len(values) != 1:
        raise InvalidInput("rounds.comment_needed")
    return (check_answer_text(values[0]),)


def headline(asked: Iterable[str], answers: Mapping[str, Answer]) -> Headline:
    """The counts a compilation opens with; a delegation that did not answer is silent."""
    by_reply: dict[Reply, list[str]] = {}
    codes = sorted(asked)
    for code in codes:
        answer = answers.get(code)
        by_reply.setdefault(answer.reply if answer else Reply.SILENCE, []).append(code)

    def count(reply: Reply) -> int:
        return len(by_reply.get(reply, []))

    return Headline(
        asked=len(codes),
        answered=len(codes) - count(Reply.SILENCE),
        no_information=count(Reply.NO_INFORMATION),
        not_applicable=count(Reply.NOT_APPLICABLE),
        silence=count(Reply.SILENCE),
        by_reply={reply: tuple(found) for reply, found in by_reply.items()},
    )


def outcome(kind: RoundKind, head: Headline) -> Outcome | None:
    """A written consultation is adopted when no delegation objects (silence is agreement); with comments
    when some commented."""
    if kind is not RoundKind.CONSULTATION:
        return None
    if head.by_reply.get(Reply.OBJECTION):
        return Outcome.NOT_ADOPTED
    if head.by_reply.get(Reply.COMMENTS):
        return Outcome.ADOPTED_WITH_COMMENTS
    return Outcome.ADOPTED


def words(text: str) -> set[str]:
    """The words of a title or question that say what it is about (for 'earlier rounds like this')."""
    cleaned = "".join(c.lower() if c.isalnum() else " " for c in text)
    return {w for w in cleaned.split() if len(w) > 3}


def likeness(a: str, b: str) -> float:
    """How much two texts share their words (Jaccard), 0 to 1."""
    left, right = words(a), words(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def preview(draft: RoundDraft, delegation_code: str, now: dt.datetime) -> Round:
    """The round a draft would launch, as its preview shows it (no id yet)."""
    return Round(
        id=0,
        kind=draft.kind,
        title=draft.title,
        background=draft.background,
        questions=draft.questions,
        launcher_id=0,
        delegation_code=delegation_code,
        question_tlp=draft.question_tlp,
        answer_tlp=draft.answer_tlp,
        deadline=draft.deadline,
        zone=draft.zone,
        status=RoundStatus.OPEN,
        asked=draft.delegations,
        created_at=now,
        attachment_file_id=draft.attachment_file_id,
    )
