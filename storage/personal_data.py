"""One person's records: collected for /mydata, pseudonymised on erasure. Never commits.

A person's messages are found by chat: Telegram makes a private chat's id equal to its user's id, so
`outbox.chat_id` (indexed) finds every message sent to them without reading the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.outbox import OutboxStatus
from bot.domain.personal_data import (
    ERASED_GUEST_TELEGRAM_ID,
    SECTIONS,
    Erasure,
    Record,
    pseudonymous_telegram_id,
)
from bot.domain.retention import EMPTIED_PAYLOAD
from bot.domain.timezones import DEFAULT_ZONE
from bot.domain.vocab import MemberStatus, RequestStatus
from storage.mapping import aware
from storage.models import (
    AccessRequestRow,
    AuditRow,
    DigestRunRow,
    FlowStateRow,
    FollowRow,
    GroupRow,
    InitiativeRow,
    InviteRow,
    MemberRow,
    NoticeRow,
    OutboxRow,
    SubscriptionRow,
    UpdateEditRow,
    UpdateRow,
    update_readers,
)
from storage.round_personal import round_records

UNSENT = (OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value)
KEYS_PER_QUERY = 500


def pick(row: Any, *names: str) -> dict[str, object]:
    """Some columns of a row as a record; dates as aware UTC datetimes."""
    return {name: _plain(getattr(row, name)) for name in names}


def _plain(value: object) -> object:
    return aware(value) if isinstance(value, dt.datetime) else value


class SqlPersonalDataRepository:
    """Everything about one person, by table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def collect(self, telegram_user_id: int, member_id: int | None) -> Mapping[str, Sequence[Record]]:
        """Every record about the person: what they are, did, asked for and were sent."""
        tables: dict[str, list[Record]] = {name: [] for name in SECTIONS}
        requests = await self._scalars(
            AccessRequestRow, AccessRequestRow.telegram_user_id == telegram_user_id
        )
        tables["access_requests"] = [{**_request(r), "relation": "requested"} for r in requests]
        chats = {telegram_user_id}
        if member_id is not None:
            member = await self._session.get(MemberRow, member_id)
            if member is not None:
                tables["members"] = [_member(member)]
                chats |= {member.chat_id} if member.chat_id is not None else set()
            await self._member_tables(member_id, tables)
        subjects = [f"request {r.id}" for r in requests]
        subjects += [f"member {member_id}"] if member_id is not None else []
        tables["audit_log"] = [
            pick(r, "id", "at", "actor_id", "action", "subject", "details")
            for r in await self._scalars(AuditRow, _by_or_about(member_id, subjects), order=AuditRow.id)
        ]
        tables["outbox"] = [
            pick(r, "id", "kind", "job", "status", "parts_sent", "created_at", "sent_at")
            for r in await self._session.execute(
                select(OutboxRow.id, OutboxRow.kind, OutboxRow.job, OutboxRow.status)
                .add_columns(OutboxRow.parts_sent, OutboxRow.created_at, OutboxRow.sent_at)
                .where(OutboxRow.chat_id.in_(chats))
                .order_by(OutboxRow.id)
            )
        ]
        return tables

    async def _member_tables(self, member_id: int, tables: dict[str, list[Record]]) -> None:
        follows = await self._scalars(FollowRow, FollowRow.member_id == member_id)
        tables["follows"] = [pick(r, "id", "kind", "target", "created_at") for r in follows]
        subscriptions = await self._scalars(SubscriptionRow, SubscriptionRow.member_id == member_id)
        tables["subscriptions"] = [
            pick(r, "id", "scope", "frequency", "weekday", "at", "send_empty", "paused", "next_due_at")
            | pick(r, "last_period_end", "created_at", "updated_at")
            for r in subscriptions
        ]
        runs = await self._scalars(
            DigestRunRow, DigestRunRow.subscription_id.in_([s.id for s in subscriptions])
        )
        tables["digest_runs"] = [
            pick(r, "id", "subscription_id", "period_start", "period_end", "outcome", "items", "created_at")
            for r in runs
        ]
        decided = await self._scalars(AccessRequestRow, AccessRequestRow.decided_by == member_id)
        tables["access_requests"] += [  # decisions they took: not the other person's name or note
            pick(r, "id", "delegation_code", "status", "decided_at", "decided_by") | {"relation": "decided"}
            for r in decided
        ]
        tables["invites"] = [
            pick(r, "id", "role", "delegation_code", "max_uses", "uses_left", "expires_at", "created_at")
            | pick(r, "created_by", "revoked_at", "revoked_by")
            for r in await self._scalars(
                InviteRow, or_(InviteRow.created_by == member_id, InviteRow.revoked_by == member_id)
            )
        ]
        tables["updates"] = await self._updates(member_id)
        tables["update_edits"] = await self._edits(member_id)
        tables["notices"] = [
            pick(r, "id", "delegation_code", "text", "audience", "send_at", "status", "recipients")
            | pick(r, "attachment_kind", "created_at")
            for r in await self._scalars(NoticeRow, NoticeRow.author_id == member_id)
        ]
        tables["groups"] = [  # the group chats they registered the bot in
            pick(r, "chat_id", "title", "registered_at")
            for r in await self._scalars(GroupRow, GroupRow.registered_by == member_id, GroupRow.chat_id)
        ]
        tables.update(await round_records(self._session, member_id))

    async def _updates(self, member_id: int) -> list[Record]:
        rows = (
            await self._session.execute(
                select(UpdateRow, InitiativeRow.ref)
                .join(InitiativeRow, InitiativeRow.id == UpdateRow.initiative_id)
                .where(UpdateRow.author_id == member_id)
                .order_by(UpdateRow.id)
            )
        ).all()
        readers: dict[int, list[str]] = {}
        for update_id, code in await self._session.execute(
            select(update_readers.c.update_id, update_readers.c.delegation_code).where(
                update_readers.c.update_id.in_(
                    select(UpdateRow.id).where(UpdateRow.author_id == member_id).scalar_subquery()
                )
            )
        ):
            readers.setdefault(update_id, []).append(code)
        return [
            pick(row, "id", "kind", "tlp", "delegation_code", "text", "created_at", "edited_at")
            | pick(row, "withdrawn_at", "attachment_kind", "attachment_file_id")
            | {"initiative": ref, "readers": sorted(readers.get(row.id, []))}
            for row, ref in rows
        ]

    async def _edits(self, member_id: int) -> list[Record]:
        """Edits they made, and edits of their updates; earlier texts only of their own updates."""
        rows = await self._session.execute(
            select(UpdateEditRow, UpdateRow.author_id, UpdateRow.tlp)
            .join(UpdateRow, UpdateRow.id == UpdateEditRow.update_id)
            .where(or_(UpdateEditRow.edited_by == member_id, UpdateRow.author_id == member_id))
            .order_by(UpdateEditRow.id)
        )
        return [
            pick(edit, "id", "update_id", "edited_by", "edited_at")
            | ({"tlp": tlp, "text_before": edit.text_before} if author == member_id else {})
            for edit, author, tlp in rows
        ]

    async def _scalars(
        self, model: Any, where: ColumnElement[bool], order: Any | None = None
    ) -> Sequence[Any]:
        found = await self._session.scalars(select(model).where(where).order_by(order or model.id))
        return list(found)

    async def erase(
        self, telegram_user_id: int, member_id: int | None, pseudonym: str, now: dt.datetime
    ) -> Erasure:
        """Pseudonymise the person everywhere; the records of the exchange stay whole."""
        pseudo_id = pseudonymous_telegram_id(member_id) if member_id else ERASED_GUEST_TELEGRAM_ID
        chats = {telegram_user_id}
        follows = subscriptions = 0
        if member_id is not None:
            member = await self._session.get(MemberRow, member_id)
            if member is not None and member.chat_id is not None:
                chats.add(member.chat_id)
            await self._session.execute(
                update(MemberRow)
                .where(MemberRow.id == member_id)
                .values(
                    display_name=pseudonym,
                    telegram_user_id=pseudo_id,
                    chat_id=None,
                    status=MemberStatus.REVOKED.value,
                    revoked_at=func.coalesce(MemberRow.revoked_at, now),
                    erased_at=now,
                    language="en",
                    time_zone=DEFAULT_ZONE,
                    updated_at=now,
                )
            )
            follows = await self._delete(delete(FollowRow).where(FollowRow.member_id == member_id))
            subscriptions = await self._delete(
                delete(SubscriptionRow).where(SubscriptionRow.member_id == member_id)
            )
        await self._forget_flows(telegram_user_id, chats)
        request_ids = list(
            await self._session.scalars(
                select(AccessRequestRow.id).where(AccessRequestRow.telegram_user_id == telegram_user_id)
            )
        )
        await self._pseudonymise_requests(request_ids, pseudonym, pseudo_id, now)
        messages = await self._empty_messages(OutboxRow.chat_id.in_(chats), now, chat_id=pseudo_id)
        for keys in _chunks(await self._request_keys(request_ids), KEYS_PER_QUERY):
            messages += await self._empty_messages(OutboxRow.dedupe_key.in_(keys), now)
        return Erasure(
            member_id, pseudonym, telegram_user_id, len(request_ids), messages, follows, subscriptions
        )

    async def _forget_flows(self, telegram_user_id: int, chats: set[int]) -> None:
        """The person's guided flows in progress (a typed name, a draft) are deleted."""
        await self._session.execute(
            delete(FlowStateRow).where(
                or_(
                    and_(
                        FlowStateRow.kind.in_(("user", "chat")), FlowStateRow.key.in_([str(c) for c in chats])
                    ),
                    and_(
                        FlowStateRow.kind == "conversation", FlowStateRow.key.like(f"%, {telegram_user_id}]")
                    ),
                )
            )
        )

    async def _pseudonymise_requests(
        self, ids: Sequence[int], pseudonym: str, pseudo_id: int, now: dt.datetime
    ) -> None:
        if not ids:
            return
        pending = AccessRequestRow.status == RequestStatus.PENDING.value
        await self._session.execute(
            update(AccessRequestRow)
            .where(AccessRequestRow.id.in_(ids))
            .values(
                name=pseudonym,
                note="",
                username=None,
                telegram_user_id=pseudo_id,
                chat_id=pseudo_id,
                status=case((pending, RequestStatus.REFUSED.value), else_=AccessRequestRow.status),
                decided_at=func.coalesce(AccessRequestRow.decided_at, now),
            )
        )

    async def _request_keys(self, request_ids: Sequence[int]) -> list[str]:
        """The outbox keys of the messages about these requests (to every admin, and the decision)."""
        if not request_ids:
            return []
        members = list(await self._session.scalars(select(MemberRow.id)))
        return [
            key
            for r in request_ids
            for key in (f"access:{r}:decision", *(f"access:{r}:admin:{m}" for m in members))
        ]

    async def _empty_messages(
        self, where: ColumnElement[bool], now: dt.datetime, chat_id: int | None = None
    ) -> int:
        """Empty the texts of these messages; those not yet sent are skipped, never sent."""
        unsent = OutboxRow.status.in_(UNSENT)
        values: dict[str, Any] = {
            "payload": EMPTIED_PAYLOAD,
            "payload_emptied_at": now,
            "status": case((unsent, OutboxStatus.SKIPPED.value), else_=OutboxRow.status),
            "last_error": case((unsent, "recipient erased"), else_=OutboxRow.last_error),
            "in_flight": False,
            # No later correction (an edit, a withdrawal) reaches a chat whose person was erased.
            "retracted": True,
        }
        if chat_id is not None:
            values["chat_id"] = chat_id
        result = await self._session.execute(update(OutboxRow).where(where).values(**values))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def _delete(self, statement: Any) -> int:
        result = await self._session.execute(statement)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _by_or_about(member_id: int | None, subjects: Sequence[str]) -> ColumnElement[bool]:
    about = AuditRow.subject.in_(subjects)
    return or_(AuditRow.actor_id == member_id, about) if member_id is not None else about


def _member(row: MemberRow) -> Record:
    return pick(row, "id", "telegram_user_id", "chat_id", "display_name", "delegation_code", "role") | pick(
        row, "status", "language", "time_zone", "reachable", "created_at", "updated_at", "revoked_at"
    )


def _request(row: AccessRequestRow) -> Record:
    return pick(
        row, "id", "telegram_user_id", "chat_id", "name", "username", "delegation_code", "note", "language"
    ) | pick(row, "status", "created_at", "decided_at", "decided_by")


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
