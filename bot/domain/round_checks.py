"""The rules of what a round holds: texts and their limits, labels, a delegation's answer, the
compilation's headline and a written consultation's outcome, and how alike two rounds look."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.domain.errors import InvalidInput
from bot.domain.rounds import (
    ANSWER_LIMIT,
    BACKGROUND_LIMIT,
    CONSULTATION_REPLIES,
    LABELS,
    MAX_OPTIONS,
    OPTION_LIMIT,
    QUERY_REPLIES,
    QUESTION_LIMIT,
    TITLE_LIMIT,
    YESNO,
    Answer,
    Headline,
    Outcome,
    Question,
    QuestionKind,
    Reply,
    RoundKind,
)
from bot.domain.typed import check_typed
from bot.domain.vocab import Tlp


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
    return tally(asked, {code: answer.reply for code, answer in answers.items()})


def tally(asked: Iterable[str], replies: Mapping[str, Reply]) -> Headline:
    """The headline from each answering delegation's reply (the archive counts stored replies)."""
    by_reply: dict[Reply, list[str]] = {}
    codes = sorted(asked)
    for code in codes:
        by_reply.setdefault(replies.get(code, Reply.SILENCE), []).append(code)

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
