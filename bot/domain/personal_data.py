"""Personal data: what the store holds about one person (the right of access), and the pseudonym that
replaces the person when they are erased. Regulation (EU) 2018/1725, Articles 17 and 19.

A person is known to the store by their Telegram user id (a guest's access requests, the messages sent
to their private chat, whose id Telegram makes equal to the user id) and, once registered, by their
member id (everything they did or that concerns them). Erasure replaces the first by a pseudonymous id
and the member row's name by a pseudonym; every record that points at the member id then reads as the
pseudonym, and the working party's records (updates, notices, the audit log) stay whole.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.model import Member
from bot.domain.vocab import Tlp

Record = Mapping[str, object]

# The tables of a person's export, in the order the summary tells them; each key is the table's name.
SECTIONS: tuple[str, ...] = (
    "members",
    "follows",
    "subscriptions",
    "digest_runs",
    "access_requests",
    "invites",
    "updates",
    "update_edits",
    "notices",
    "groups",
    "audit_log",
    "outbox",
    "rounds",
    "round_answers",
    "round_answer_changes",
)
EXPORT_FORMAT = "emwp-personal-data/1"
PROTECTED_LABELS = frozenset({Tlp.AMBER.value, Tlp.AMBER_STRICT.value, Tlp.RED.value})
ERASED_GUEST_TELEGRAM_ID = 0  # a guest's requests, once erased: no Telegram user has id 0


def new_pseudonym(kind: str = "member") -> str:
    """A random pseudonym such as 'member-7f3a'; derived from nothing about the person."""
    return f"{kind}-{secrets.token_hex(2)}"


def pseudonymous_telegram_id(member_id: int) -> int:
    """What an erased member's Telegram id becomes: unique (the column is), never a real user's (> 0)."""
    return -member_id


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Everything the store holds about one person, table by table (the tables of SECTIONS)."""

    telegram_user_id: int
    member: Member | None
    tables: Mapping[str, Sequence[Record]]

    def count(self, table: str) -> int:
        """How many records of `table` concern the person."""
        return len(self.tables.get(table, ()))

    @property
    def empty(self) -> bool:
        """Whether the store holds nothing at all about the person."""
        return not any(self.tables.values())

    @property
    def protected(self) -> bool:
        """Whether it carries TLP:AMBER or stricter text (their own posts, rounds and answers), so Telegram
        must protect it."""
        names = ("updates", "update_edits", "rounds", "round_answers", "round_answer_changes")
        rows = [row for name in names for row in self.tables.get(name, ())]
        return any(row.get("tlp") in PROTECTED_LABELS for row in rows)

    def requests(self, relation: str) -> int:
        """Access requests the person made ('requested') or decided as an admin ('decided')."""
        return sum(1 for row in self.tables.get("access_requests", ()) if row.get("relation") == relation)

    def received_by_kind(self) -> dict[str, int]:
        """Messages the bot sent to the person, by kind (notice, digest, follow, access)."""
        kinds: dict[str, int] = {}
        for row in self.tables.get("outbox", ()):
            kind = str(row.get("kind"))
            kinds[kind] = kinds.get(kind, 0) + 1
        return kinds

    def to_json(self, generated_at: dt.datetime) -> bytes:
        """The export as a JSON document (UTF-8, dates in ISO 8601 UTC)."""
        document = {
            "format": EXPORT_FORMAT,
            "generated_at": generated_at,
            "telegram_user_id": self.telegram_user_id,
            "member_id": self.member.id if self.member else None,
            "tables": {name: list(self.tables.get(name, ())) for name in SECTIONS},
        }
        return json.dumps(document, default=_plain, ensure_ascii=False, indent=1).encode("utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value)
    raise TypeError(f"cannot export a {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Erasure:
    """What erasing a person changed."""

    member_id: int | None
    pseudonym: str
    telegram_user_id: int = 0  # the erased account: its chat's command menu goes back to a guest's
    requests: int = 0
    messages: int = 0
    follows: int = 0
    subscriptions: int = 0
