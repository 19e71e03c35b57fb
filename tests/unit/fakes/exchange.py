"""Fakes of the repositories of the exchange: initiatives, updates and follows, the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from bot.domain.model import Initiative, InitiativeHeadline, Update
from bot.domain.outbox import Delivered, Op, OutboxStatus, Outgoing
from bot.domain.posting import Draft, FollowKind
from bot.domain.reveals import Hold
from bot.domain.specs import InitiativeSpec
from bot.domain.vocab import Tlp
from tests.unit.fakes.tables import Row, Tables


class FakeInitiatives:
    """Initiatives (`bot.ports.InitiativeRepository`)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def by_ref(self, ref: str) -> Initiative | None:
        return next((i for i in self._t.initiatives.values() if i.ref.upper() == ref.upper()), None)

    async def by_id(self, initiative_id: int) -> Initiative | None:
        return self._t.initiatives.get(initiative_id)

    async def headlines(self, ids: Sequence[int]) -> Sequence[InitiativeHeadline]:
        found = [self._t.initiatives[i] for i in ids if i in self._t.initiatives]
        return [InitiativeHeadline(i.id, i.ref, i.title, i.type, i.status, i.last_activity_at) for i in found]

    async def save(
        self, spec: InitiativeSpec, now: dt.datetime, initiative_id: int | None = None
    ) -> Initiative:
        if any(c not in self._t.countries for c in spec.countries):
            raise KeyError(spec.countries)
        if any(r not in {region.key for region in self._t.regions} for r in spec.regions):
            raise KeyError(spec.regions)
        before = self._t.initiatives.get(initiative_id) if initiative_id is not None else None
        saved = Initiative(
            id=initiative_id if initiative_id is not None else self._t.new_id(),
            ref=spec.ref,
            title=spec.title,
            type=spec.type,
            status=spec.status,
            countries=spec.countries,
            regions=spec.regions,
            lead=spec.lead,
            partners=spec.partners,
            instruments=spec.instruments,
            funding=spec.funding,
            year=spec.year,
            start_date=spec.start_date,
            end_date=spec.end_date,
            source_url=spec.source_url,
            notes=spec.notes,
            last_activity_at=now,
            created_at=before.created_at if before else now,
        )
        self._t.initiatives[saved.id] = saved
        return saved


class FakeOutbox:
    """The outbox (`bot.ports.OutboxRepository`): what services queue, cancel and correct."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def enqueue(self, messages: Sequence[Outgoing], now: dt.datetime) -> int:
        keys = {row.message.dedupe_key for row in self._t.outbox.values()}
        added = 0
        for message in messages:
            if message.dedupe_key not in keys:
                keys.add(message.dedupe_key)
                row = Row(self._t.new_id(), message)
                self._t.outbox[row.id] = row
                added += 1
        return added

    async def withhold_job(self, job: str, hold: Hold, now: dt.datetime) -> int:
        return self._settle(job, OutboxStatus.WITHHELD, hold.value)

    async def skip_job(self, job: str, reason: str, now: dt.datetime) -> int:
        return self._settle(job, OutboxStatus.SKIPPED, reason)

    def _settle(self, job: str, status: OutboxStatus, reason: str) -> int:
        waiting = [
            r for r in self._t.outbox.values() if r.message.job == job and r.status is OutboxStatus.QUEUED
        ]
        for row in waiting:
            row.status, row.reason = status, reason
        return len(waiting)

    async def delivered(self, job: str) -> Sequence[Delivered]:
        return [
            Delivered(
                row_id=r.id,
                chat_id=r.message.chat_id,
                kind=r.message.kind,
                member_id=r.message.member_id,
                message_ids=r.message_ids,
                text_parts=len(r.message.parts),
                sent_at=r.sent_at,
                protect=r.message.protect,
            )
            for r in self._t.outbox.values()
            if r.message.job == job
            and r.message.op is Op.SEND
            and r.status is OutboxStatus.SENT
            and not r.retracted
        ]

    async def retract(self, row_ids: Sequence[int], now: dt.datetime) -> None:
        for row_id in row_ids:
            self._t.outbox[row_id].retracted = True


class FakeUpdates:
    """Updates one by one whatever their label, written, edited, relabelled and withdrawn
    (`bot.ports.UpdateRepository`)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def by_id(self, update_id: int) -> Update | None:
        return self._t.updates.get(update_id)

    async def by_ids(self, update_ids: Sequence[int]) -> dict[int, Update]:
        return {i: self._t.updates[i] for i in update_ids if i in self._t.updates}

    async def by_key(self, key: str) -> Update | None:
        update_id = self._t.update_keys.get(key)
        return self._t.updates[update_id] if update_id is not None else None

    async def add(self, draft: Draft, author_id: int, delegation: str, now: dt.datetime) -> Update | None:
        if draft.key in self._t.update_keys:
            return None
        update = Update(
            id=self._t.new_id(),
            initiative_id=draft.initiative_id,
            kind=draft.kind,
            text=draft.text,
            tlp=draft.tlp,
            author_id=author_id,
            delegation_code=delegation,
            created_at=now,
            red_delegations=draft.red_delegations,
            attachment_kind=draft.attachment_kind,
            attachment_file_id=draft.attachment_file_id,
        )
        self._t.updates[update.id] = update
        self._t.update_keys[draft.key] = update.id
        self._t.changed_at[update.id] = now
        return update

    async def edit(self, update_id: int, text: str, editor_id: int, now: dt.datetime) -> Update:
        before = self._t.updates[update_id]
        self._t.edits.setdefault(update_id, []).append((now, before.text))
        return self._change(update_id, now, text=text, edited_at=now)

    async def relabel(self, update_id: int, tlp: Tlp, readers: frozenset[str], now: dt.datetime) -> Update:
        return self._change(update_id, now, tlp=tlp, red_delegations=readers)

    async def withdraw(self, update_id: int, now: dt.datetime) -> None:
        self._change(update_id, now, withdrawn_at=now)

    def _change(self, update_id: int, now: dt.datetime, **values: object) -> Update:
        changed = replace(self._t.updates[update_id], **values)  # type: ignore[arg-type]  # Update's fields
        self._t.updates[update_id] = changed
        self._t.changed_at[update_id] = now
        return changed

    async def history(self, update_id: int) -> Sequence[tuple[dt.datetime, str]]:
        return list(self._t.edits.get(update_id, []))


class FakeFollows:
    """What members follow (`bot.ports.FollowRepository`)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def follow(self, member_id: int, kind: FollowKind, target: str, now: dt.datetime) -> bool:
        if (member_id, kind, target) in self._t.follows:
            return False
        self._t.follows.append((member_id, kind, target))
        return True

    async def unfollow(self, member_id: int, kind: FollowKind, target: str) -> bool:
        if (member_id, kind, target) not in self._t.follows:
            return False
        self._t.follows.remove((member_id, kind, target))
        return True

    async def follows(self, member_id: int) -> Sequence[tuple[FollowKind, str]]:
        return [(kind, target) for who, kind, target in self._t.follows if who == member_id]

    async def followers(
        self, initiative_id: int, countries: Sequence[str], regions: Sequence[str]
    ) -> list[int]:
        wanted = {(FollowKind.INITIATIVE, str(initiative_id))}
        wanted |= {(FollowKind.COUNTRY, c) for c in countries} | {(FollowKind.REGION, r) for r in regions}
        return sorted({who for who, kind, target in self._t.follows if (kind, target) in wanted})
