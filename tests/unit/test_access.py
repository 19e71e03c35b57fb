"""SPEC.md's TLP 2.0 table and role commands, checked case by case."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.access import ADMIN_COMMANDS, GUEST_COMMANDS, POSTER_COMMANDS, commands_for, may_read
from bot.domain.model import Delegation, Member, Update, Viewer
from bot.domain.vocab import DelegationKind, MemberStatus, Role, Tlp, UpdateKind

FR = Delegation("FR", "France", DelegationKind.MEMBER_STATE)
DE = Delegation("DE", "Germany", DelegationKind.MEMBER_STATE)
COM = Delegation("COM", "European Commission", DelegationKind.INSTITUTION)
GSC = Delegation("GSC", "General Secretariat of the Council", DelegationKind.INSTITUTION)
FRONTEX = Delegation("FRONTEX", "Frontex", DelegationKind.OBSERVER)


def member(delegation: Delegation, role: Role, status: MemberStatus = MemberStatus.ACTIVE) -> Member:
    return Member(1, 1, "x", delegation, role, status, "en", "Europe/Brussels", True)


def update(tlp: Tlp, author: Delegation = FR, red: frozenset[str] = frozenset()) -> Update:
    return Update(
        1, 1, UpdateKind.PROGRESS, "t", tlp, 9, author.code, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), red
    )


def viewer(m: Member | None, in_group: bool = False) -> Viewer:
    return Viewer(1, m, "en", in_group)


CASES = [
    # who, label, extra, may read
    (member(DE, Role.CONTACT), Tlp.CLEAR, frozenset(), True),
    (member(FRONTEX, Role.OBSERVER), Tlp.GREEN, frozenset(), True),
    (member(DE, Role.CONTACT), Tlp.AMBER, frozenset(), True),
    (member(COM, Role.CONTACT), Tlp.AMBER, frozenset(), True),
    (member(FRONTEX, Role.OBSERVER), Tlp.AMBER, frozenset(), False),
    (member(DE, Role.OBSERVER), Tlp.AMBER, frozenset(), False),
    (member(FR, Role.CONTACT), Tlp.AMBER_STRICT, frozenset(), True),
    (member(DE, Role.CONTACT), Tlp.AMBER_STRICT, frozenset(), False),
    (member(GSC, Role.ADMIN), Tlp.AMBER_STRICT, frozenset(), True),
    (member(DE, Role.CONTACT), Tlp.RED, frozenset({"DE"}), True),
    (member(DE, Role.CONTACT), Tlp.RED, frozenset({"IT"}), False),
    (member(FR, Role.CONTACT), Tlp.RED, frozenset(), True),
    (member(GSC, Role.ADMIN), Tlp.RED, frozenset(), True),
    # Labels nest: an observer registered in FR reads neither FR's AMBER nor its AMBER+STRICT...
    (member(FR, Role.OBSERVER), Tlp.AMBER_STRICT, frozenset(), False),
    # ...and RED exactly when the author named the observer's delegation or body.
    (member(FR, Role.OBSERVER), Tlp.RED, frozenset(), False),
    (member(FR, Role.OBSERVER), Tlp.RED, frozenset({"FR"}), True),
    (member(FRONTEX, Role.OBSERVER), Tlp.RED, frozenset({"FRONTEX"}), True),
    (member(FRONTEX, Role.OBSERVER), Tlp.RED, frozenset({"DE"}), False),
    (member(DE, Role.CONTACT, MemberStatus.REVOKED), Tlp.CLEAR, frozenset(), False),
    (None, Tlp.CLEAR, frozenset(), False),
]


@pytest.mark.parametrize(("who", "label", "red", "expected"), CASES)
def test_tlp_table(who: Member | None, label: Tlp, red: frozenset[str], expected: bool) -> None:
    assert may_read(viewer(who), update(label, red=red)) is expected


@pytest.mark.parametrize("label", list(Tlp))
def test_a_group_chat_only_ever_shows_tlp_clear(label: Tlp) -> None:
    admin = member(GSC, Role.ADMIN)
    assert may_read(viewer(admin, in_group=True), update(label)) is (label is Tlp.CLEAR)


def test_commands_by_role() -> None:
    assert commands_for(None) == GUEST_COMMANDS
    assert not set(POSTER_COMMANDS) & set(commands_for(Role.OBSERVER))
    assert set(POSTER_COMMANDS) <= set(commands_for(Role.CONTACT))
    assert not set(ADMIN_COMMANDS) & set(commands_for(Role.CONTACT))
    assert set(ADMIN_COMMANDS) <= set(commands_for(Role.ADMIN))
