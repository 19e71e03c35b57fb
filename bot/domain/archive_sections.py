"""What the archive holds of each kind of record: the JSON records and their CSV columns.

A new kind of record is one more builder here and one more query in the archive repository; the format
does not change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from bot.domain.archive import Record, Section, Table
from bot.domain.round_checks import tally
from bot.domain.rounds import MAX_QUESTIONS, Reply
from bot.domain.vocab import Tlp

UPDATE_COLUMNS = (
    "id",
    "initiative_ref",
    "initiative_title",
    "kind",
    "tlp",
    "delegation",
    "author_id",
    "author",
    "created_at",
    "edited_at",
    "withdrawn_at",
    "readers",
    "attachment_kind",
    "text",
)
HISTORY_COLUMNS = ("update_id", "edited_at", "edited_by", "editor", "text_before")
NOTICE_COLUMNS = (
    "id",
    "created_at",
    "send_at",
    "author_id",
    "author",
    "delegation",
    "audience",
    "audience_values",
    "status",
    "recipients",
    "sent",
    "pending",
    "failed",
    "skipped",
    "attachment_kind",
    "text",
)
EVENT_COLUMNS = (
    "id",
    "title",
    "kind",
    "starts_at",
    "ends_at",
    "country",
    "initiative_ref",
    "location",
    "notes",
)
COUNTS = ("asked", "answered", "no_information", "not_applicable", "silence")
ROUND_COLUMNS = (
    "id",
    "kind",
    "title",
    "question_tlp",
    "answer_tlp",
    "delegation",
    "launcher_id",
    "launcher",
    "asked",
    "readers",
    "created_at",
    "deadline",
    "zone",
    "closed_early_at",
    "compiled_at",
    "status",
    "outcome",
    *(f"count_{name}" for name in COUNTS),
    "attachment",
    "background",
)
QUESTION_COLUMNS = ("round_id", "number", "kind", "text", "options")
ANSWER_COLUMNS = (
    "round_id",
    "delegation",
    "version",
    "current",
    "tlp",
    "reply",
    "member_id",
    "member",
    "at",
    "attachment",
    *(f"answer_{n}" for n in range(1, MAX_QUESTIONS + 1)),
)


def updates_section(records: Sequence[Record]) -> Section:
    """Updates posted in the period, each with its whole edit history (earlier texts, oldest first)."""
    history = tuple(
        {"update_id": record["id"], **dict(edit)}
        for record in records
        for edit in record.get("history", ())  # type: ignore[attr-defined]
    )
    return Section(
        "updates",
        "Updates posted in the period, TLP label first, with their edit history (text before each edit)",
        tuple(records),
        (Table("updates", UPDATE_COLUMNS, tuple(records)), Table("update_history", HISTORY_COLUMNS, history)),
    )


def notices_section(records: Sequence[Record]) -> Section:
    """Notices created in the period, with their audience and delivery figures."""
    return Section(
        "notices",
        "Notices broadcast in the period, with audience and delivery figures",
        tuple(records),
        (Table("notices", NOTICE_COLUMNS, tuple(records)),),
    )


def events_section(records: Sequence[Record]) -> Section:
    """Events (meetings, dialogue rounds, visits) that start in the period."""
    return Section(
        "events",
        "Meetings, dialogue rounds and visits starting in the period",
        tuple(records),
        (Table("events", EVENT_COLUMNS, tuple(records)),),
    )


def _items(record: Record, key: str) -> list[Mapping[str, Any]]:
    return cast("list[Mapping[str, Any]]", record.get(key) or [])


def _round(record: Record) -> Record:
    """A stored round with what it shows besides: the readers of TLP:RED (the delegations asked) and, once
    compiled, the compilation's counts (a delegation that did not answer is silent)."""
    asked = cast("list[str]", record["asked"])
    red = Tlp.RED.value in (record["question_tlp"], record["answer_tlp"])
    compilation: dict[str, object] | None = None
    if record.get("compiled_at") is not None:
        head = tally(asked, {a["delegation"]: Reply(a["reply"]) for a in _items(record, "answers")})
        compilation = {name: getattr(head, name) for name in COUNTS} | {
            "by_reply": {reply.value: list(codes) for reply, codes in sorted(head.by_reply.items())}
        }
    return {**record, "readers": list(asked) if red else [], "compilation": compilation}


def rounds_section(stored: Sequence[Record]) -> Section:
    """Consultation rounds launched in the period: questions, delegations asked, labels, deadline, outcome,
    each delegation's answer with every version (who, when) and the compilation's counts."""
    records = tuple(_round(record) for record in stored)
    rounds = tuple(
        {
            **record,
            **{f"count_{k}": v for k, v in cast("dict[str, object]", record["compilation"] or {}).items()},
        }
        for record in records
    )
    questions = tuple(
        {"round_id": record["id"], "number": number, **question}
        for record in records
        for number, question in enumerate(_items(record, "questions"), start=1)
    )
    answers = tuple(
        {
            "round_id": record["id"],
            "delegation": answer["delegation"],
            "version": number,
            "current": number == len(answer["versions"]),
            "tlp": record["answer_tlp"],
            **version,
            **{f"answer_{n}": value for n, value in enumerate(version["values"], start=1)},
        }
        for record in records
        for answer in _items(record, "answers")
        for number, version in enumerate(answer["versions"], start=1)
    )
    return Section(
        "rounds",
        "Consultation rounds launched in the period, labels first, with every version of each delegation's "
        "answer (who, when) and the compilation's counts",
        records,
        (
            Table("rounds", ROUND_COLUMNS, rounds),
            Table("round_questions", QUESTION_COLUMNS, questions),
            Table("round_answers", ANSWER_COLUMNS, answers),
        ),
    )
