"""Fakes of the repositories of people: members, reference data, the audit log, invitations, requests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.domain.model import AccessRequest, AuditEntry, Country, Delegation, Invite, Member, Region
from bot.domain.vocab import MemberStatus, RequestStatus, Role
from tests.unit.fakes.tables import Tables


class FakeMembers:
    """Members (`bot.ports.MemberRepository`)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def by_telegram_id(self, telegram_user_id: int) -> Member | None:
        return next((m for m in self._t.members.values() if m.telegram_user_id == telegram_user_id), None)

    async def add(
        self,
        *,
        telegram_user_id: int,
        chat_id: int | None,
        display_name: str,
        delegation_code: str,
        role: Role,
        language: str,
        time_zone: str,
        now: dt.datetime,
    ) -> Member:
        member = Member(
            id=self._t.new_id(),
            telegram_user_id=telegram_user_id,
            display_name=display_name,
            delegation=self._t.delegations[delegation_code],
            role=role,
            status=MemberStatus.ACTIVE,
            language=language,
            time_zone=time_zone,
            reachable=True,
        )
        self._t.members[member.id] = member
        return member

    async def by_id(self, member_id: int) -> Member | None:
        return self._t.members.get(member_id)

    async def by_ids(self, ids: Iterable[int]) -> Sequence[Member]:
        return [self._t.members[i] for i in sorted(set(ids)) if i in self._t.members]

    async def all(self) -> Sequence[Member]:
        return sorted(self._t.members.values(), key=lambda m: (m.delegation.code, m.display_name, m.id))

    async def active_admins(self) -> Sequence[Member]:
        return [m for m in self._t.members.values() if m.role is Role.ADMIN and m.active]

    async def change(self, member_id: int, now: dt.datetime, **fields: object) -> Member | None:
        member = self._t.members.get(member_id)
        if member is None:
            return None
        values = dict(fields)
        values.pop("chat_id", None)  # the chat is the outbox's business, not the member's
        code = values.pop("delegation_code", None)
        if isinstance(code, str):
            values["delegation"] = self._t.delegations[code]
        changed = replace(member, **values)  # type: ignore[arg-type]  # the fields of Member
        self._t.members[member_id] = changed
        return changed


class FakeCatalog:
    """Reference data (`bot.ports.CatalogRepository`)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def delegations(self) -> Sequence[Delegation]:
        return list(self._t.delegations.values())

    async def delegation(self, code: str) -> Delegation | None:
        return self._t.delegations.get(code)

    async def country(self, code: str) -> Country | None:
        return self._t.countries.get(code)

    async def countries(self) -> Sequence[Country]:
        return list(self._t.countries.values())

    async def regions(self) -> Sequence[Region]:
        return list(self._t.regions)


class FakeAudit:
    """The audit log (`bot.ports.AuditRepository`)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def append(
        self,
        *,
        at: dt.datetime,
        actor_id: int | None,
        action: str,
        subject: str,
        details: dict[str, object] | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(self._t.new_id(), at, actor_id, action, subject, dict(details or {}))
        self._t.audit.append(entry)
        return entry


class FakeInvites:
    """Invitations by the hash of their token (`bot.ports.InviteRepository`)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(
        self,
        *,
        token_hash: str,
        role: Role,
        delegation_code: str,
        uses: int,
        expires_at: dt.datetime,
        created_by: int | None,
        now: dt.datetime,
    ) -> Invite:
        invite = Invite(self._t.new_id(), role, delegation_code, uses, uses, expires_at, now, created_by)
        self._t.invites[invite.id] = (token_hash, invite)
        return invite

    async def by_token_hash(self, token_hash: str) -> Invite | None:
        return next((i for h, i in self._t.invites.values() if h == token_hash), None)

    async def by_id(self, invite_id: int) -> Invite | None:
        found = self._t.invites.get(invite_id)
        return found[1] if found else None

    async def take_use(self, invite_id: int, now: dt.datetime) -> bool:
        token_hash, invite = self._t.invites[invite_id]
        if not invite.usable(now):
            return False
        self._t.invites[invite_id] = (token_hash, replace(invite, uses_left=invite.uses_left - 1))
        return True

    async def open_invites(self, now: dt.datetime, created_by: int | None = None) -> Sequence[Invite]:
        found = (i for _, i in self._t.invites.values() if i.usable(now))
        return sorted((i for i in found if created_by in (None, i.created_by)), key=lambda i: -i.id)

    async def revoke(self, invite_id: int, by: int, now: dt.datetime) -> bool:
        token_hash, invite = self._t.invites[invite_id]
        if invite.revoked_at is not None:
            return False
        self._t.invites[invite_id] = (token_hash, replace(invite, revoked_at=now))
        return True


class FakeRequests:
    """Guests' access requests (`bot.ports.AccessRequestRepository`)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(
        self,
        *,
        telegram_user_id: int,
        chat_id: int,
        name: str,
        delegation_code: str,
        note: str,
        language: str,
        now: dt.datetime,
        username: str | None = None,
    ) -> AccessRequest:
        request = AccessRequest(
            self._t.new_id(),
            telegram_user_id,
            chat_id,
            name,
            delegation_code,
            note,
            language,
            RequestStatus.PENDING,
            now,
            username=username,
        )
        self._t.requests[request.id] = request
        return request

    async def by_id(self, request_id: int) -> AccessRequest | None:
        return self._t.requests.get(request_id)

    async def pending_for(self, telegram_user_id: int) -> AccessRequest | None:
        return next((r for r in await self.pending() if r.telegram_user_id == telegram_user_id), None)

    async def pending(self) -> Sequence[AccessRequest]:
        return [r for r in self._t.requests.values() if r.status is RequestStatus.PENDING]

    async def decide(self, request_id: int, status: RequestStatus, by: int, now: dt.datetime) -> bool:
        request = self._t.requests[request_id]
        if request.status is not RequestStatus.PENDING:
            return False
        self._t.requests[request_id] = replace(request, status=status, decided_at=now, decided_by=by)
        return True
