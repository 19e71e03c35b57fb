"""Admins read the audit log: who did what, when."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.model import AuditEntry, Member
from bot.ports import UnitOfWorkFactory, long_reads
from bot.services.actors import Actor, require_admin

PAGE = 15


@dataclass(frozen=True, slots=True)
class AuditPage:
    """A page of entries, newest first, with the members who acted."""

    entries: Sequence[AuditEntry]
    actors: dict[int, Member]
    offset: int
    has_more: bool


@long_reads
async def audit_page(uow_factory: UnitOfWorkFactory, actor: Actor, offset: int = 0) -> AuditPage:
    """The entries from `offset` on (admins only)."""
    offset = max(0, offset)
    async with uow_factory(read_only=True) as uow:
        await require_admin(uow, actor)
        entries = await uow.audit.latest(PAGE + 1, offset=offset)
        ids = {e.actor_id for e in entries if e.actor_id is not None}
        actors = {m.id: m for m in await uow.members.by_ids(ids)}
    return AuditPage(entries[:PAGE], actors, offset, len(entries) > PAGE)
