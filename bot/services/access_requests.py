"""A guest asks for access; an admin approves (with a role) or refuses; both are audited."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.domain.errors import Conflict, InvalidInput, NotFound
from bot.domain.model import AccessRequest, Member
from bot.domain.outbox import Outgoing
from bot.domain.typed import check_typed
from bot.domain.vocab import MemberStatus, RequestStatus, Role
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_admin

NAME_LIMITS = (2, 100)
USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
NOTE_LIMIT = 500
APPROVABLE_ROLES = (Role.CONTACT, Role.OBSERVER)


@dataclass(frozen=True, slots=True)
class RequestCard:
    """A request as admins see it: with the member record this Telegram account already has, if any
    (a revoked member asking again under another name or delegation must not pass unnoticed)."""

    request: AccessRequest
    known: Member | None = None


@dataclass(frozen=True, slots=True)
class SubmittedRequest:
    """The stored request and the admins to tell about it."""

    request: AccessRequest
    admins: Sequence[Member]


@dataclass(frozen=True, slots=True)
class Decision:
    """The decided request and, when approved, the new member."""

    request: AccessRequest
    member: Member | None


def check_name(name: str) -> str:
    """A person's name as they give it: 2 to 100 characters, one line (line breaks become spaces)."""
    cleaned = " ".join(check_typed(name).split())
    if not NAME_LIMITS[0] <= len(cleaned) <= NAME_LIMITS[1]:
        raise InvalidInput("request.bad_name", low=NAME_LIMITS[0], high=NAME_LIMITS[1])
    return cleaned


def check_note(note: str) -> str:
    """A short note for the admins: at most 500 characters."""
    cleaned = check_typed(note).strip()
    if len(cleaned) > NOTE_LIMIT:
        raise InvalidInput("request.bad_note", limit=NOTE_LIMIT, length=len(cleaned))
    return cleaned


async def can_request_access(uow_factory: UnitOfWorkFactory, telegram_user_id: int) -> None:
    """Refuse up front a member, or a guest whose request is already waiting."""
    async with uow_factory(read_only=True) as uow:
        await _check_can_request(uow, telegram_user_id)


async def _check_can_request(uow: UnitOfWork, telegram_user_id: int) -> Member | None:
    """The (revoked) member record of this account, if any; refused for a member or a pending request."""
    member = await uow.members.by_telegram_id(telegram_user_id)
    if member is not None and member.active:
        raise Conflict("start.already_member")
    if await uow.requests.pending_for(telegram_user_id) is not None:
        raise Conflict("request.already_pending")
    return member


def check_username(username: str | None) -> str | None:
    """Telegram's @username (5 to 32 letters, digits, underscores), or None for anything else."""
    return username if username and USERNAME.fullmatch(username) else None


async def submit_access_request(
    uow_factory: UnitOfWorkFactory,
    telegram_user_id: int,
    chat_id: int,
    name: str,
    delegation_code: str,
    note: str,
    language: str,
    now: dt.datetime,
    notify_admin: Callable[[Member, RequestCard], Outgoing],
    username: str | None = None,
) -> SubmittedRequest:
    """Store a guest's request and, in the same transaction, queue a message to every reachable admin."""
    name, note = check_name(name), check_note(note)
    async with uow_factory() as uow:
        known = await _check_can_request(uow, telegram_user_id)
        if await uow.catalog.delegation(delegation_code) is None:
            raise NotFound("invite.unknown_delegation", code=delegation_code)
        request = await uow.requests.add(
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            name=name,
            delegation_code=delegation_code,
            note=note,
            language=language,
            now=now,
            username=check_username(username),
        )
        details: dict[str, object] = {"delegation": delegation_code}
        if known is not None:
            details["known_member"] = known.id
        await uow.audit.append(
            at=now,
            actor_id=None,
            action="access.requested",
            subject=f"request {request.id}",
            # The request row holds the name and the Telegram id, and erasure pseudonymises it: not here.
            details=details,
        )
        admins = await uow.members.active_admins()
        card = RequestCard(request, known)
        await uow.outbox.enqueue([notify_admin(admin, card) for admin in admins if admin.reachable], now)
        await uow.commit()
    return SubmittedRequest(request, admins)


async def pending_requests(uow_factory: UnitOfWorkFactory, actor: Actor) -> Sequence[AccessRequest]:
    """Requests waiting for a decision (admins only)."""
    async with uow_factory(read_only=True) as uow:
        await require_admin(uow, actor)
        return await uow.requests.pending()


async def access_request(uow_factory: UnitOfWorkFactory, actor: Actor, request_id: int) -> RequestCard:
    """One request, and the member this Telegram account already is, if any (admins only)."""
    async with uow_factory(read_only=True) as uow:
        await require_admin(uow, actor)
        request = await uow.requests.by_id(request_id)
        if request is None:
            raise NotFound()
        known = await uow.members.by_telegram_id(request.telegram_user_id)
    return RequestCard(request, known)


async def undecided_request(uow_factory: UnitOfWorkFactory, actor: Actor, request_id: int) -> AccessRequest:
    """The request an admin is about to decide: it exists and nobody has decided it yet (admins only)."""
    card = await access_request(uow_factory, actor, request_id)
    if card.request.status is not RequestStatus.PENDING:
        raise Conflict("request.already_decided")
    return card.request


async def decide_access_request(
    uow_factory: UnitOfWorkFactory,
    actor: Actor,
    request_id: int,
    role: Role | None,
    now: dt.datetime,
    notify_requester: Callable[[AccessRequest, Member | None], Outgoing],
) -> Decision:
    """Approve with `role` (contact or observer), or refuse when `role` is None; first decision wins.

    The requester's message is queued in the same transaction as the decision.
    """
    if role is not None and role not in APPROVABLE_ROLES:
        raise InvalidInput("request.bad_role")
    async with uow_factory() as uow:
        admin = await require_admin(uow, actor)
        request = await uow.requests.by_id(request_id)
        if request is None:
            raise NotFound()
        status = RequestStatus.APPROVED if role else RequestStatus.REFUSED
        if not await uow.requests.decide(request_id, status, admin.id, now):
            raise Conflict("request.already_decided")
        member = await _admit(uow, request, role, now) if role else None
        await uow.audit.append(
            at=now,
            actor_id=admin.id,
            action=f"access.{status.value}",
            subject=f"request {request_id}",
            details={"role": role.value if role else None, "member": member.id if member else None},
        )
        decided = await uow.requests.by_id(request_id)
        assert decided is not None
        await uow.outbox.enqueue([notify_requester(decided, member)], now)
        await uow.commit()
    return Decision(decided, member)


async def _admit(uow: UnitOfWork, request: AccessRequest, role: Role, now: dt.datetime) -> Member:
    existing = await uow.members.by_telegram_id(request.telegram_user_id)
    if existing is not None and existing.active:
        raise Conflict("request.already_member")
    if existing is None:
        return await uow.members.add(
            telegram_user_id=request.telegram_user_id,
            chat_id=request.chat_id,
            display_name=request.name,
            delegation_code=request.delegation_code,
            role=role,
            language=request.language,
            time_zone="Europe/Brussels",
            now=now,
        )
    changed = await uow.members.change(
        existing.id,
        now,
        role=role,
        delegation_code=request.delegation_code,
        status=MemberStatus.ACTIVE,
        chat_id=request.chat_id,
        reachable=True,
    )
    assert changed is not None
    return changed
