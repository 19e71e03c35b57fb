"""The closed vocabularies of the domain: roles, TLP labels, kinds and statuses."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a registered member may do; a guest has no row at all."""

    ADMIN = "admin"
    CONTACT = "contact"
    OBSERVER = "observer"


class MemberStatus(StrEnum):
    """Whether a member's access is live."""

    ACTIVE = "active"
    REVOKED = "revoked"


class RequestStatus(StrEnum):
    """Where a guest's access request stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class DelegationKind(StrEnum):
    """Member state, EU institution or observer body."""

    MEMBER_STATE = "member_state"
    INSTITUTION = "institution"
    OBSERVER = "observer"


class Tlp(StrEnum):
    """FIRST Traffic Light Protocol 2.0 labels, least to most restricted."""

    CLEAR = "TLP:CLEAR"
    GREEN = "TLP:GREEN"
    AMBER = "TLP:AMBER"
    AMBER_STRICT = "TLP:AMBER+STRICT"
    RED = "TLP:RED"


class InitiativeType(StrEnum):
    """The kinds of initiative the working party follows."""

    ACTION_PLAN = "action_plan"
    PARTNERSHIP = "partnership"
    DIALOGUE = "dialogue"
    STRATEGY = "strategy"
    ROAD_MAP = "road_map"
    AGREEMENT = "agreement"
    FUNDING_PROGRAMME = "funding_programme"
    OTHER = "other"


class InitiativeStatus(StrEnum):
    """Where an initiative stands."""

    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    SUSPENDED = "suspended"


class UpdateKind(StrEnum):
    """What an update reports."""

    PROGRESS = "progress"
    POSITION = "position"
    VISIT = "visit"
    FUNDING = "funding"
    MEETING = "meeting"
    OTHER = "other"


class EventKind(StrEnum):
    """What an upcoming event is."""

    DIALOGUE_ROUND = "dialogue_round"
    VISIT = "visit"
    MEETING = "meeting"
    OTHER = "other"
