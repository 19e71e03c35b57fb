"""Domain objects: frozen dataclasses that repositories return and services pass around."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.domain.vocab import (
    DelegationKind,
    EventKind,
    InitiativeStatus,
    InitiativeType,
    MemberStatus,
    RequestStatus,
    Role,
    Tlp,
    UpdateKind,
)


@dataclass(frozen=True, slots=True)
class Delegation:
    """A member state (EU code), institution (GSC, COM, EEAS) or observer body."""

    code: str
    name: str
    kind: DelegationKind


@dataclass(frozen=True, slots=True)
class Member:
    """A registered person and what they may do."""

    id: int
    telegram_user_id: int
    display_name: str
    delegation: Delegation
    role: Role
    status: MemberStatus
    language: str
    time_zone: str
    reachable: bool
    erased_at: dt.datetime | None = None
    status_since: dt.datetime | None = None  # when registered, revoked or reinstated, if known

    @property
    def active(self) -> bool:
        """Whether the member's access is live."""
        return self.status is MemberStatus.ACTIVE

    @property
    def erased(self) -> bool:
        """Whether the person was erased: the record keeps only a pseudonym."""
        return self.erased_at is not None


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: a member, or a guest (member is None) in a private or group chat.

    In a group, `group_id` is the group's chat id: services check that an admin registered it.
    """

    telegram_user_id: int
    member: Member | None
    language: str
    in_group: bool = False
    group_id: int | None = None

    @property
    def role(self) -> Role | None:
        """The active member's role; None for guests and revoked members."""
        if self.member is None or not self.member.active:
            return None
        return self.member.role


@dataclass(frozen=True, slots=True)
class Country:
    """A third country by ISO 3166-1 alpha-2 code, with its names in EU languages."""

    code: str
    name: str
    names: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Region:
    """A grouping of countries used by EU external migration policy."""

    key: str
    name: str
    countries: tuple[str, ...]
    source_url: str | None = None
    id: int = 0


@dataclass(frozen=True, slots=True)
class Initiative:
    """An initiative with one or more third countries or regions."""

    id: int
    ref: str
    title: str
    type: InitiativeType
    status: InitiativeStatus
    countries: tuple[str, ...]
    regions: tuple[str, ...]
    lead: str | None
    partners: tuple[str, ...]
    instruments: tuple[str, ...]
    funding: str | None
    year: int | None
    start_date: dt.date | None
    end_date: dt.date | None
    source_url: str | None
    notes: str | None
    last_activity_at: dt.datetime
    created_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class InitiativeHeadline:
    """What a list line shows of an initiative: no links, so lists load fast."""

    id: int
    ref: str
    title: str
    type: InitiativeType
    status: InitiativeStatus
    last_activity_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Update:
    """A dated post on an initiative by a member."""

    id: int
    initiative_id: int
    kind: UpdateKind
    text: str
    tlp: Tlp
    author_id: int
    delegation_code: str
    created_at: dt.datetime
    red_delegations: frozenset[str] = frozenset()
    edited_at: dt.datetime | None = None
    withdrawn_at: dt.datetime | None = None
    attachment_kind: str | None = None
    attachment_file_id: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """An upcoming meeting, dialogue round or official visit."""

    id: int
    title: str
    kind: EventKind
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None
    country_code: str | None = None
    initiative_id: int | None = None
    initiative_ref: str | None = None
    location: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the append-only audit log."""

    id: int
    at: dt.datetime
    actor_id: int | None
    action: str
    subject: str
    details: dict[str, object] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class SeedReport:
    """How many rows a seed run inserted or changed, per table."""

    inserted: dict[str, int]
    updated: dict[str, int]

    @property
    def changed(self) -> bool:
        """Whether the run changed anything."""
        return any(self.inserted.values()) or any(self.updated.values())


@dataclass(frozen=True, slots=True)
class Invite:
    """An invitation: redeeming it registers a member with this role and delegation."""

    id: int
    role: Role
    delegation_code: str
    max_uses: int
    uses_left: int
    expires_at: dt.datetime
    created_at: dt.datetime
    created_by: int | None
    revoked_at: dt.datetime | None = None

    def usable(self, now: dt.datetime) -> bool:
        """Whether the invite can still register someone."""
        return self.revoked_at is None and self.uses_left > 0 and now < self.expires_at


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """A guest's request to join, waiting for an admin's decision."""

    id: int
    telegram_user_id: int
    chat_id: int
    name: str
    delegation_code: str
    note: str
    language: str
    status: RequestStatus
    created_at: dt.datetime
    decided_at: dt.datetime | None = None
    decided_by: int | None = None
    username: str | None = None  # the requester's @username, when they have one


@dataclass(frozen=True, slots=True)
class Group:
    """A group chat an admin added the bot to: the bot serves no other group."""

    chat_id: int
    title: str
    registered_at: dt.datetime
    registered_by: int | None = None
