"""The kinds of button that more than one feature shows: typed callback data (handlers.callback_data).

A kind used by one feature only lives in that feature's module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.domain.posting import FollowKind
from handlers.callback_data import CallbackData


@dataclass(frozen=True)
class PostOn(CallbackData, prefix="pst:start"):
    """'Post an update' on an initiative's page."""

    initiative: int


@dataclass(frozen=True)
class OpenUpdate(CallbackData, prefix="upd:show"):
    """One update in full: 'Open' on an alert, ✉ N on an initiative."""

    update: int


@dataclass(frozen=True)
class Follow(CallbackData, prefix="fol"):
    """🔔 / 🔕 on an initiative, a country or a region."""

    action: Literal["on", "off"]
    kind: FollowKind
    target: str


@dataclass(frozen=True)
class EditInitiative(CallbackData, prefix="ied"):
    """✏️ Edit on an initiative (admins): its editable fields."""

    initiative: int


@dataclass(frozen=True)
class RequestAccess(CallbackData, prefix="req:start"):
    """'Request access' under a guest's /start: the privacy notice of the access request."""


@dataclass(frozen=True)
class ContinueRequest(CallbackData, prefix="req:agree"):
    """The privacy notice's continue button in an access request: ask the guest's name."""


@dataclass(frozen=True)
class ShowRequest(CallbackData, prefix="req:show"):
    """A pending access request in /members: its card with the decision buttons."""

    request: int


@dataclass(frozen=True)
class JoinWithInvite(CallbackData, prefix="prv:join"):
    """The privacy notice's join button after an invitation link: redeem the token."""

    token: str


@dataclass(frozen=True)
class ShowMember(CallbackData, prefix="mem:show"):
    """One member's card in /members (also 'no' of a confirmation, 'back' of a move)."""

    member: int


@dataclass(frozen=True)
class MoveMember(CallbackData, prefix="mmv:ask"):
    """'Move to another delegation' on a member's card: the delegations to choose from."""

    member: int


@dataclass(frozen=True)
class OpenInitiative(CallbackData, prefix="ini:o"):
    """A numbered button of a list (/initiatives, /search, /country): the initiative's details."""

    initiative: int


@dataclass(frozen=True)
class OpenFromList(CallbackData, prefix="ini:l"):
    """A numbered button of /initiatives: the details, with ◀ Back to this page under this filter."""

    initiative: int
    page: int
    filter: str


@dataclass(frozen=True)
class OpenFromSearch(CallbackData, prefix="sro"):
    """A numbered button of /search: the details, with ◀ Back to this page of the remembered search."""

    initiative: int
    search: str
    page: int


@dataclass(frozen=True)
class OpenFromCountry(CallbackData, prefix="cto"):
    """A numbered button of a /country profile: the details, with ◀ Back to this page of the profile."""

    initiative: int
    code: str
    page: int


@dataclass(frozen=True)
class OpenUpdateOf(CallbackData, prefix="upd:of"):
    """✉ N on an initiative's details: the update in full, with ◀ Back to the details."""

    update: int
    initiative: int


@dataclass(frozen=True)
class InitiativesPage(CallbackData, prefix="ini:p"):
    """A page of /initiatives under a filter (a `handlers.filter_codes` code): ◀ ▶, 'clear', 'all of a
    country'."""

    page: int
    filter: str


@dataclass(frozen=True)
class UpdatesPage(CallbackData, prefix="inu"):
    """Newer or older updates on an initiative's page: from `offset`."""

    initiative: int
    offset: int
