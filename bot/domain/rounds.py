"""Consultation rounds: queries and written consultations, one engine. Values and pure rules.

A launcher asks delegations 1–10 questions (a query) or circulates a draft (a written consultation) under
a TLP label and with a deadline; each asked delegation gives one answer, which any of its contacts may
change until the deadline; reminders go to those who have not answered; at the deadline the round is
compiled once. For a written consultation silence counts as agreement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.vocab import Tlp

TITLE_LIMIT = 200
BACKGROUND_LIMIT = 2000
QUESTION_LIMIT = 1000
OPTION_LIMIT = 100
ANSWER_LIMIT = 4000
MAX_QUESTIONS = 10
MAX_OPTIONS = 8
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
