"""The tables of consultation rounds (bot.domain.rounds): rounds, who is asked, answers and their
history, reminders sent (each once), and the compiled documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base

__all__ = [
    "Base",
    "RoundAnswerChangeRow",
    "RoundAnswerRow",
    "RoundDelegationRow",
    "RoundFileRow",
    "RoundReminderRow",
    "RoundRow",
]


class RoundRow(Base):
    """A query or written consultation; compiled once at its deadline (`compiled_at`)."""

    __tablename__ = "rounds"
    __table_args__ = (Index("ix_rounds_status_deadline", "status", "deadline"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(255))
    background: Mapped[str] = mapped_column(Text)
    questions: Mapped[dict[str, Any]]
    launcher_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    delegation_code: Mapped[str] = mapped_column(ForeignKey("delegations.code"))
    question_tlp: Mapped[str] = mapped_column(String(32))
    answer_tlp: Mapped[str] = mapped_column(String(32))
    deadline: Mapped[dt.datetime]
    zone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    attachment_file_id: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    closed_early_at: Mapped[dt.datetime | None]
    compiled_at: Mapped[dt.datetime | None]


class RoundDelegationRow(Base):
    """A delegation a round asks."""

    __tablename__ = "round_delegations"
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    delegation_code: Mapped[str] = mapped_column(ForeignKey("delegations.code"), primary_key=True, index=True)


class RoundAnswerRow(Base):
    """A delegation's answer as it stands: one per round and delegation."""

    __tablename__ = "round_answers"
    __table_args__ = (UniqueConstraint("round_id", "delegation_code", name="uq_round_answers_delegation"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    delegation_code: Mapped[str] = mapped_column(String(16))
    reply: Mapped[str] = mapped_column(String(16))
    answer: Mapped[dict[str, Any]]  # {"values": [...]}
    file_id: Mapped[str | None] = mapped_column(String(200))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    submitted_at: Mapped[dt.datetime]


class RoundAnswerChangeRow(Base):
    """Every answer a delegation gave, in order: who, when, what."""

    __tablename__ = "round_answer_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    delegation_code: Mapped[str] = mapped_column(String(16))
    reply: Mapped[str] = mapped_column(String(16))
    answer: Mapped[dict[str, Any]]
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    at: Mapped[dt.datetime]


class RoundReminderRow(Base):
    """A reminder stage reached for a delegation: recorded once, whether sent or passed over."""

    __tablename__ = "round_reminders"
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    delegation_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    stage: Mapped[str] = mapped_column(String(8), primary_key=True)
    sent: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime]


class RoundFileRow(Base):
    """A compiled document (spreadsheet, word-processor file), made once, sent to each reader."""

    __tablename__ = "round_files"
    __table_args__ = (UniqueConstraint("round_id", "kind", name="uq_round_files_kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime]
