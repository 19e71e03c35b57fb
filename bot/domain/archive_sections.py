"""What the archive holds of each kind of record: the JSON records and their CSV columns.

A new kind of record (consultation rounds and their compilations, when the exchange has them) is one
more builder here and one more query in the archive repository; the format does not change.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.archive import Record, Section, Table

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
