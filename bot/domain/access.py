"""Who may see what: SPEC.md's TLP 2.0 table and the commands each role may use."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.model import Member, Update, Viewer
from bot.domain.vocab import DelegationKind, Role, Tlp

# /privacy for everyone: Telegram apps send it when a user opens the bot's privacy policy.
GUEST_COMMANDS: tuple[str, ...] = ("start", "help", "privacy", "cancel")
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
    "mydata",
    "rounds",
)
POSTER_COMMANDS: tuple[str, ...] = ("post", "newround")
ADMIN_COMMANDS: tuple[str, ...] = (
    "broadcast",
    "notices",
    "invite",
    "members",
    "groups",
    "audit",
    "newinitiative",
)


def may_post(role: Role | None) -> bool:
    """Contacts and admins post updates; observers read, and so do the others not at all."""
    return role in (Role.CONTACT, Role.ADMIN)


def commands_for(role: Role | None) -> tuple[str, ...]:
    """The commands a role may use, in menu order; None is a guest."""
    if role is None:
        return GUEST_COMMANDS
    commands = GUEST_COMMANDS + MEMBER_COMMANDS
    if may_post(role):
        commands += POSTER_COMMANDS
    if role is Role.ADMIN:
        commands += ADMIN_COMMANDS
    return commands


def may_read(viewer: Viewer, update: Update) -> bool:
    """TLP 2.0 as SPEC.md sets it: whether this viewer may see this update (withdrawn: nobody)."""
    return update.withdrawn_at is None and visibility_for(viewer).allows(update)


def member_may_read(member: Member, update: Update) -> bool:
    """The member-level rule, in whatever chat: the same reading rights as every query uses."""
    return update.withdrawn_at is None and rights_of(member).allows(update)


def may_see_history(member: Member | None, update: Update) -> bool:
    """Earlier texts of an edited update are for its author's delegation and admins."""
    if member is None or not member.active:
        return False
    return member.role is Role.ADMIN or member.delegation.code == update.delegation_code


@dataclass(frozen=True, slots=True)
class Visibility:
    """Which updates a reader may read, as data that Python checks and SQL filters both read.

    `labels` are readable whoever posted them; `own` only when posted by the reader's delegation;
    `named`: RED when the author named the reader's delegation. Labels nest (CLEAR ⊃ GREEN ⊃ AMBER ⊃
    AMBER+STRICT): `rights_of` never grants a label without every looser one.
    """

    labels: frozenset[Tlp] = frozenset()
    own: frozenset[Tlp] = frozenset()
    named: bool = False
    delegation: str | None = None

    @property
    def nothing(self) -> bool:
        """A guest, or a member whose access was revoked."""
        return not self.labels and not self.own and not self.named

    @property
    def everything(self) -> bool:
        """An admin."""
        return self.labels == ALL_LABELS

    def allows(self, update: Update) -> bool:
        """Whether this reader may read the update (as labelled now)."""
        return self.allows_label(update.tlp, update.delegation_code, update.red_delegations)

    def allows_label(self, tlp: Tlp, owner: str, named: frozenset[str] = frozenset()) -> bool:
        """Whether this reader may read what `owner`'s delegation labelled `tlp` (RED: naming `named`)."""
        if tlp in self.labels:
            return True
        if self.delegation is None:
            return False
        if tlp in self.own and owner == self.delegation:
            return True
        return self.named and tlp is Tlp.RED and self.delegation in named


ALL_LABELS = frozenset(Tlp)
OPEN_LABELS = frozenset({Tlp.CLEAR, Tlp.GREEN})  # every registered member reads these
NOTHING = Visibility()
GROUP = Visibility(labels=frozenset({Tlp.CLEAR}))


def rights_of(member: Member | None) -> Visibility:
    """SPEC.md's TLP table for one member: the one place the rule is written.

    Observers (by role, or as members of an observer body) read CLEAR and GREEN, and RED only where
    their delegation is named; contacts of member states and institutions also AMBER, and AMBER+STRICT
    and RED of their own delegation; admins read everything.
    """
    if member is None or not member.active:
        return NOTHING
    if member.role is Role.ADMIN:
        return Visibility(labels=ALL_LABELS, delegation=member.delegation.code)
    code = member.delegation.code
    if member.role is Role.OBSERVER or member.delegation.kind is DelegationKind.OBSERVER:
        return Visibility(labels=OPEN_LABELS, named=True, delegation=code)
    own = frozenset({Tlp.AMBER_STRICT, Tlp.RED})
    return Visibility(labels=OPEN_LABELS | {Tlp.AMBER}, own=own, named=True, delegation=code)


def visibility_for(viewer: Viewer) -> Visibility:
    """The viewer's reading rights in the chat they ask from: a group reads TLP:CLEAR only."""
    if viewer.in_group:
        return GROUP
    return rights_of(viewer.member)
