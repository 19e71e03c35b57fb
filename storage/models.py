"""SQLAlchemy 2 typed ORM models: the tables of the store."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations are stable on every backend."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


def _link(name: str, left: tuple[str, str], right: tuple[str, str], right_type: Any = Integer) -> Table:
    """An association table of two foreign keys, cascading from the left side."""
    return Table(
        name,
        Base.metadata,
        Column(left[0], Integer, ForeignKey(left[1], ondelete="CASCADE"), primary_key=True),
        Column(right[0], right_type, ForeignKey(right[1]), primary_key=True, index=True),
    )


region_countries = _link(
    "region_countries", ("region_id", "regions.id"), ("country_code", "countries.code"), String(2)
)
initiative_countries = _link(
    "initiative_countries", ("initiative_id", "initiatives.id"), ("country_code", "countries.code"), String(2)
)
initiative_regions = _link(
    "initiative_regions", ("initiative_id", "initiatives.id"), ("region_id", "regions.id")
)
initiative_partners = _link(
    "initiative_partners", ("initiative_id", "initiatives.id"), ("organisation_id", "organisations.id")
)
initiative_instruments = _link(
    "initiative_instruments", ("initiative_id", "initiatives.id"), ("instrument_id", "instruments.id")
)
update_readers = _link(
    "update_readers", ("update_id", "updates.id"), ("delegation_code", "delegations.code"), String(16)
)


class DelegationRow(Base):
    __tablename__ = "delegations"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))


class MemberRow(Base):
    __tablename__ = "members"
    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    display_name: Mapped[str] = mapped_column(String(200))
    delegation_code: Mapped[str] = mapped_column(ForeignKey("delegations.code"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    language: Mapped[str] = mapped_column(String(8), default="en")
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    # When the access was last revoked (retention pseudonymises long-revoked members) and when the
    # member was erased: the row then holds a pseudonym instead of the person.
    revoked_at: Mapped[dt.datetime | None]
    erased_at: Mapped[dt.datetime | None]
    # When the status last changed (registered, revoked, reinstated): an access request's card says it.
    status_since: Mapped[dt.datetime | None]
    delegation: Mapped[DelegationRow] = relationship(lazy="joined")


class CountryRow(Base):
    __tablename__ = "countries"
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    names: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RegionRow(Base):
    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    countries: Mapped[list[CountryRow]] = relationship(secondary=region_countries, order_by=CountryRow.code)


class OrganisationRow(Base):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class InstrumentRow(Base):
    __tablename__ = "instruments"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    short_name: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    period: Mapped[str | None] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class InitiativeRow(Base):
    __tablename__ = "initiatives"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    lead: Mapped[str | None] = mapped_column(Text)
    funding: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None]
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    source_url: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    # Its own activity: created, curated. What was posted on it counts apart, per reading class
    # (storage.activity), so that no list is ordered by what its reader may not read.
    last_activity_at: Mapped[dt.datetime] = mapped_column(index=True)
    open_activity_at: Mapped[dt.datetime | None]  # the newest CLEAR or GREEN update
    amber_activity_at: Mapped[dt.datetime | None]  # the newest AMBER update
    all_activity_at: Mapped[dt.datetime | None]  # the newest update of any label
    countries: Mapped[list[CountryRow]] = relationship(
        secondary=initiative_countries, order_by=CountryRow.code
    )
    regions: Mapped[list[RegionRow]] = relationship(secondary=initiative_regions, order_by=RegionRow.key)
    partners: Mapped[list[OrganisationRow]] = relationship(
        secondary=initiative_partners, order_by=OrganisationRow.key
    )
    instruments: Mapped[list[InstrumentRow]] = relationship(
        secondary=initiative_instruments, order_by=InstrumentRow.key
    )


class UpdateRow(Base):
    __tablename__ = "updates"
    __table_args__ = (
        Index("ix_updates_initiative_created", "initiative_id", "created_at"),
        Index("uq_updates_client_key", "client_key", unique=True),
        # Counting and listing what a reader may see on an initiative reads the index alone.
        Index("ix_updates_visibility", "initiative_id", "tlp", "delegation_code", "withdrawn_at"),
        # The newest few of a country's (or region's) hundreds of initiatives: walked newest first.
        Index("ix_updates_created", "created_at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    tlp: Mapped[str] = mapped_column(String(20), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    delegation_code: Mapped[str] = mapped_column(ForeignKey("delegations.code"))
    created_at: Mapped[dt.datetime]
    edited_at: Mapped[dt.datetime | None]
    withdrawn_at: Mapped[dt.datetime | None]
    # Last edited, relabelled or withdrawn: a digest composed before it is composed again.
    changed_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    # The draft's key: a second tap on "confirm" finds the update already posted instead of posting twice.
    client_key: Mapped[str | None] = mapped_column(String(64))
    attachment_kind: Mapped[str | None] = mapped_column(String(16))
    attachment_file_id: Mapped[str | None] = mapped_column(String(200))
    readers: Mapped[list[DelegationRow]] = relationship(secondary=update_readers)


class EventRow(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    ends_at: Mapped[dt.datetime | None]
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"), index=True)
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiatives.id"), index=True)
    location: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)


class AuditRow(Base):
    """Append-only (triggers refuse UPDATE and DELETE). Names nobody: people are member ids."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(200), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class InviteRow(Base):
    __tablename__ = "invites"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    delegation_code: Mapped[str] = mapped_column(ForeignKey("delegations.code"))
    max_uses: Mapped[int]
    uses_left: Mapped[int]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    revoked_at: Mapped[dt.datetime | None]
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


class AccessRequestRow(Base):
    __tablename__ = "access_requests"
    __table_args__ = (
        # At most one pending request per Telegram user.
        Index(
            "uq_access_requests_pending_user",
            "telegram_user_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # The requester's @username when they have one: a way for the admins to reach them.
    username: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    delegation_code: Mapped[str] = mapped_column(ForeignKey("delegations.code"))
    note: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


OUTBOX_PAYLOAD_KEPT = "payload_emptied_at IS NULL AND status NOT IN ('queued', 'sending')"


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "not_before"),
        # Retention empties the payloads of finished rows; this finds the next batch still to empty.
        Index(
            "ix_outbox_payload_kept",
            "updated_at",
            sqlite_where=text(OUTBOX_PAYLOAD_KEPT),
            postgresql_where=text(OUTBOX_PAYLOAD_KEPT),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(16))
    op: Mapped[str] = mapped_column(String(8), default="send", server_default="send")
    # 'notice:<id>' for a notice's messages, 'update:<id>' for an update's alerts and their corrections
    job: Mapped[str | None] = mapped_column(String(64), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]]
    parts_sent: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[dt.datetime]
    lease_until: Mapped[dt.datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    in_flight: Mapped[bool] = mapped_column(Boolean, default=False)
    maybe_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    # In flight when what it shows changed: checked again once delivered.
    stale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Its delivered copy was deleted, or replaced by a new message: later corrections leave it alone.
    retracted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_error: Mapped[str | None] = mapped_column(Text)
    message_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]
    payload_emptied_at: Mapped[dt.datetime | None]


class ReadEpochRow(Base):
    """A counter that every change a read rule depends on moves (database triggers, migration 0012)."""

    __tablename__ = "read_epoch"
    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class SendBudgetRow(Base):
    """Shared rate budget when several bot processes send with one token (PostgreSQL)."""

    __tablename__ = "send_budget"
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_slot: Mapped[dt.datetime]


class UpdateEditRow(Base):
    """The history of an update: its text before each edit."""

    __tablename__ = "update_edits"
    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"), index=True)
    text_before: Mapped[str] = mapped_column(Text)
    edited_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    edited_at: Mapped[dt.datetime]


class FollowRow(Base):
    """A member follows an initiative, a country or a region."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("member_id", "kind", "target", name="uq_follows_member_target"),
        # Who follows this initiative, country or region: every post and every audience asks.
        Index("ix_follows_target", "kind", "target"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]


class NoticeRow(Base):
    """An admin broadcast; its messages are outbox rows with job 'notice:<id>'."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_key: Mapped[str] = mapped_column(String(64), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    delegation_code: Mapped[str] = mapped_column(ForeignKey("delegations.code"))
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[dict[str, Any]]
    send_at: Mapped[dt.datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16))
    recipients: Mapped[int] = mapped_column(default=0)
    attachment_kind: Mapped[str | None] = mapped_column(String(16))
    attachment_file_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    # When its outbox rows were written: at once for "now", at its send time for a scheduled one, so
    # that its audience is who is in it when it goes out.
    dispatched_at: Mapped[dt.datetime | None]


class DelegationActivityRow(Base):
    """The newest update a delegation's contacts may read because it is theirs (AMBER+STRICT, RED), and
    the newest RED one naming the delegation, per initiative."""

    __tablename__ = "delegation_activity"
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE"), primary_key=True
    )
    delegation_code: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)
    own_at: Mapped[dt.datetime | None]
    named_at: Mapped[dt.datetime | None]


class SubscriptionRow(Base):
    """A member's digest subscription; `next_due_at` is when its next digest is due (UTC)."""

    __tablename__ = "subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    scope: Mapped[dict[str, Any]]
    frequency: Mapped[str] = mapped_column(String(16))
    weekday: Mapped[int]
    at: Mapped[str] = mapped_column(String(5))
    send_empty: Mapped[bool] = mapped_column(Boolean)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    next_due_at: Mapped[dt.datetime] = mapped_column(index=True)
    last_period_end: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class DigestRunRow(Base):
    """One digest per subscription and period: sent, empty (nothing to say) or missed (bot was down)."""

    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("subscription_id", "period_end", name="uq_digest_runs_period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    period_start: Mapped[dt.datetime]
    period_end: Mapped[dt.datetime]
    outcome: Mapped[str] = mapped_column(String(16))
    items: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime]


class GroupRow(Base):
    """A group chat an admin added the bot to: the only groups the bot serves (TLP:CLEAR, members)."""

    __tablename__ = "groups"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(255))
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    registered_at: Mapped[dt.datetime]


class LeaseRow(Base):
    """Work only one process may do at a time (the outbox sender and the scheduled sweeps): held by
    `holder` until `expires_at`, renewed while it lives, taken over once expired."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime]


class FlowStateRow(Base):
    """What a guided flow keeps between updates (a conversation's step, a user's or chat's flow data), so
    that a restart, or another process, continues it at the same step."""

    __tablename__ = "flow_states"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # 'conversation', 'user' or 'chat'
    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # the conversation's name, else ''
    key: Mapped[str] = mapped_column(String(128), primary_key=True)  # the chat and user, or the one id
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime]
