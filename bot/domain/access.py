"""Who may see what: SPEC.md's TLP 2.0 table and the commands each role may use."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.model import Member, Update, Viewer
from bot.domain.vocab import DelegationKind, Role, Tlp

GUEST_COMMANDS: tuple[str, ...] = ("start", "help", "cancel")
MEMBER_COMMANDS: tuple[str, ...] = (
    "initiatives",
    "initiative",
    "country",
    "search",
    "upcoming",
    "following",
    "subscribe",
    "subscriptions",
    "unsubscribe",
    "digest",
    "settings",
)
POSTER_COMMANDS: tuple[str, ...] = ("post",)
ADMIN_COMMANDS: tuple[str, ...] = (
    "broadcast",
    "notices",
    "invite",
    "members",
    "groups",
    "audit",
    "newinitiative",
)


def commands_for(role: Role | None) -> tuple[str, ...]:
    """The commands a role may use, in menu order; None is a guest."""
    if role is None:
        return GUEST_COMMANDS
    commands = GUEST_COMMANDS + MEMBER_COMMANDS
    if role in (Role.CONTACT, Role.ADMIN):
        commands += POSTER_COMMANDS
    if role is Role.ADMIN:
        commands += ADMIN_COMMANDS
    return commands


def may_read(viewer: Viewer, update: Update) -> bool:
    """TLP 2.0 as SPEC.md sets it: whether this viewer may see this update."""
    if viewer.in_group:
        return update.tlp is Tlp.CLEAR
    member = viewer.member
    if member is None or not member.active:
        return False
    return member_may_read(member, update)


def member_may_read(member: Member, update: Update) -> bool:
    """The member-level TLP rule, independent of the chat the member is in."""
    if update.tlp in (Tlp.CLEAR, Tlp.GREEN):
        return True
    if member.role is Role.ADMIN:
        return True
    if update.tlp is Tlp.AMBER:
        return member.delegation.kind is not DelegationKind.OBSERVER and member.role is not Role.OBSERVER
    if update.tlp is Tlp.AMBER_STRICT:
        return member.delegation.code == update.delegation_code
    return (
        member.delegation.code in update.red_delegations or member.delegation.code == update.delegation_code
    )


@dataclass(frozen=True, slots=True)
class Visibility:
    """Which updates a viewer may read, as data a query can be built from (TLP 2.0, SPEC.md)."""

    everything: bool = False
    amber: bool = False
    delegation: str | None = None
    nothing: bool = False

    @property
    def clear_only(self) -> bool:
        """A group chat: TLP:CLEAR and nothing else."""
        return not self.everything and not self.nothing and self.delegation is None


def visibility_for(viewer: Viewer) -> Visibility:
    """The viewer's reading rights; must agree with `may_read` for every update."""
    if viewer.in_group:
        return Visibility()
    member = viewer.member
    if member is None or not member.active:
        return Visibility(nothing=True)
    if member.role is Role.ADMIN:
        return Visibility(everything=True)
    amber = member.delegation.kind is not DelegationKind.OBSERVER and member.role is not Role.OBSERVER
    return Visibility(amber=amber, delegation=member.delegation.code)
