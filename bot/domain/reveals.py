"""What a queued message reveals, and the read rules' verdict on it at the moment it is sent.

A message waits in the outbox for seconds on a quiet day and minutes behind a digest sweep; meanwhile an
update may be withdrawn, edited or relabelled and a member demoted, moved or revoked. So each queued
message records what it shows, and right before each send the sender asks whether its recipient may
still read every piece of it, as of now (`judge`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.access import rights_of
from bot.domain.model import Member, Update
from bot.domain.vocab import Role, Tlp


class Readers(StrEnum):
    """Who may receive a message at all, whatever it shows."""

    ANYONE = "anyone"  # e.g. the answer to a guest's access request
    MEMBERS = "members"
    ADMINS = "admins"


class Hold(StrEnum):
    """Why a queued message was held back when its turn came."""

    WITHDRAWN = "withdrawn"
    LABEL = "label changed"
    UNREADABLE = "no longer readable by the recipient"
    NOT_MEMBER = "no longer a member"
    NOT_ADMIN = "no longer an admin"
    AUDIENCE = "no longer in the audience"
    CHANGED = "changed while sending"
    NOTHING_LEFT = "nothing left to show"


@dataclass(frozen=True, slots=True)
class Shown:
    """An update as a queued message shows it: its label and version when the text was made."""

    update_id: int
    tlp: Tlp
    version: dt.datetime | None = None  # the update's edited_at then


@dataclass(frozen=True, slots=True)
class DigestBasis:
    """What a digest was composed from: its subscription, period, when, and how its reader read."""

    subscription_id: int
    start: dt.datetime
    end: dt.datetime
    composed_at: dt.datetime
    reader: str  # `reader_key` of the member at composition


@dataclass(frozen=True, slots=True)
class Labelled:
    """Content that is not an update but carries a label: a round's questions or its compilation,
    labelled by the launcher's delegation (`owner`), RED for the delegations it names."""

    tlp: Tlp
    owner: str
    named: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Reveals:
    """What a queued message shows, checked against the store right before each send."""

    readers: Readers = Readers.MEMBERS
    updates: tuple[Shown, ...] = ()
    notice: int | None = None  # a notice: the recipient must still be in its audience
    digest: DigestBasis | None = None
    labelled: Labelled | None = None

    def to_json(self) -> dict[str, Any]:
        """As stored in the row's payload."""
        found: dict[str, Any] = {"readers": self.readers.value}
        if self.updates:
            found["updates"] = [
                [s.update_id, s.tlp.value, s.version.isoformat() if s.version else None] for s in self.updates
            ]
        if self.notice is not None:
            found["notice"] = self.notice
        if self.digest is not None:
            d = self.digest
            found["digest"] = [
                d.subscription_id,
                d.start.isoformat(),
                d.end.isoformat(),
                d.composed_at.isoformat(),
                d.reader,
            ]
        if self.labelled is not None:
            lab = self.labelled
            found["labelled"] = [lab.tlp.value, lab.owner, sorted(lab.named)]
        return found

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> Reveals:
        """Read back; a row without it (written before this existed) reveals nothing but to members."""
        if not value:
            return cls()
        digest = value.get("digest")
        labelled = value.get("labelled")
        return cls(
            readers=Readers(value.get("readers", Readers.MEMBERS.value)),
            updates=tuple(
                Shown(int(i), Tlp(tlp), dt.datetime.fromisoformat(v) if v else None)
                for i, tlp, v in value.get("updates", [])
            ),
            notice=value.get("notice"),
            digest=DigestBasis(
                int(digest[0]),
                dt.datetime.fromisoformat(digest[1]),
                dt.datetime.fromisoformat(digest[2]),
                dt.datetime.fromisoformat(digest[3]),
                str(digest[4]),
            )
            if digest
            else None,
            labelled=Labelled(Tlp(labelled[0]), str(labelled[1]), frozenset(labelled[2]))
            if labelled
            else None,
        )


def shown(update: Update) -> Shown:
    """The update as a message made now shows it."""
    return Shown(update.id, update.tlp, update.edited_at)


def reader_key(member: Member) -> str:
    """What TLP looks at in a member: a digest composed for one key is right for every member with it."""
    delegation = member.delegation
    return f"{member.role.value}/{delegation.code}/{delegation.kind.value}/{member.status.value}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the read rules say of a queued message right now: send it, make it again, or hold it."""

    hold: Hold | None = None
    refresh: bool = False

    @property
    def send(self) -> bool:
        """Send it as it is."""
        return self.hold is None and not self.refresh


SEND = Verdict()
REFRESH = Verdict(refresh=True)


def judge(
    reveals: Reveals,
    recipient: Member | None,
    current: Mapping[int, Update],
    *,
    in_audience: bool = True,
    digest_changed: bool = False,
) -> Verdict:
    """May `recipient` receive, now, a message revealing `reveals`? `current` holds the shown updates as
    they are now (a missing one was deleted). An alert whose update was withdrawn or is no longer
    readable is held; one whose text or label changed is made again; a digest is made again whenever
    anything in it changed, or its reader now reads differently."""
    if reveals.readers is Readers.ANYONE:
        return SEND
    if recipient is None or not recipient.active:
        return Verdict(Hold.NOT_MEMBER)
    if reveals.readers is Readers.ADMINS and recipient.role is not Role.ADMIN:
        return Verdict(Hold.NOT_ADMIN)
    if not in_audience:
        return Verdict(Hold.AUDIENCE)
    digest = reveals.digest
    if digest is not None and (digest_changed or digest.reader != reader_key(recipient)):
        return REFRESH
    rights = rights_of(recipient)
    labelled = reveals.labelled
    if labelled is not None and not rights.allows_label(labelled.tlp, labelled.owner, labelled.named):
        return Verdict(Hold.UNREADABLE)
    verdict = SEND
    for piece in reveals.updates:
        now = current.get(piece.update_id)
        if now is None or now.withdrawn_at is not None:
            hold: Hold | None = Hold.WITHDRAWN
        elif not rights.allows(now):
            hold = Hold.LABEL if now.tlp is not piece.tlp else Hold.UNREADABLE
        else:
            hold = None
            if now.tlp is not piece.tlp or now.edited_at != piece.version:
                verdict = REFRESH
        if hold is not None:
            return REFRESH if digest is not None else Verdict(hold)
    return verdict
