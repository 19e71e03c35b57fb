"""Composing many digests at once: a fixed number of queries, then indexes shared by the whole batch."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from bot.domain.access import OPEN_LABELS, rights_of
from bot.domain.digests import EVENTS_AHEAD, Digest, DueDigest, Scope
from bot.domain.model import Event, Initiative, Member, Region, Update
from bot.domain.reveals import reader_key
from bot.ports import UnitOfWork

Changes = Sequence[tuple[str, str, dt.datetime]]


async def compose(uow: UnitOfWork, due: Sequence[DueDigest], now: dt.datetime) -> list[Digest]:
    """Digests for many subscriptions with a fixed number of queries, whatever their number.

    Everything the batch needs is read once (updates of the whole window, initiatives, regions, status
    changes, events); each digest is then assembled from shared indexes, and shared by subscriptions
    whose members read alike with equal scopes and periods.
    """
    if not due:
        return []
    start = min(d.start for d in due)
    end = max(d.end for d in due)
    updates = await uow.subscriptions.updates_between(start, end)
    initiatives = {i.id: i for i in await uow.initiatives.all()}
    regions = await uow.catalog.regions()
    changes = await uow.subscriptions.status_changes(start, end)
    created = await uow.subscriptions.created_refs(start, end)
    events = await uow.events.between(now, now + EVENTS_AHEAD)
    index = _Index(initiatives, regions, created, updates, changes, events, now)
    return [index.digest(d) for d in due]


def _newest(updates: Sequence[Update]) -> tuple[dt.datetime, int]:
    return updates[0].created_at, updates[0].id


def _within(updates: Sequence[Update], start: dt.datetime, end: dt.datetime) -> Sequence[Update]:
    """The updates (newest first) posted in [start, end); the same list when all of them are."""
    if updates[0].created_at < end and updates[-1].created_at >= start:
        return updates
    return [u for u in updates if start <= u.created_at < end]


class _Index:
    """The batch's shared lookups: initiatives by place and type, updates by initiative and reader."""

    def __init__(
        self,
        initiatives: dict[int, Initiative],
        regions: Sequence[Region],
        created: set[str],
        updates: Sequence[Update],
        changes: Changes,
        events: Sequence[Event],
        now: dt.datetime,
    ) -> None:
        self.now = now
        self.initiatives = initiatives
        self.changes = [(initiatives[i], value, at) for i, value, at in self._by_id(changes)]
        self.events = events
        self.created = [(i, i.created_at) for i in initiatives.values() if i.ref in created and i.created_at]
        regions_of: dict[str, set[str]] = defaultdict(set)
        for region in regions:
            for country in region.countries:
                regions_of[country].add(region.key)
        self.by_region: dict[str, set[int]] = defaultdict(set)
        self.by_country: dict[str, set[int]] = defaultdict(set)
        self.by_type: dict[object, set[int]] = defaultdict(set)
        for i in initiatives.values():
            self.by_type[i.type].add(i.id)
            places = set(i.regions)
            for country in i.countries:
                self.by_country[country].add(i.id)
                places |= regions_of.get(country, set())
            for key in places:
                self.by_region[key].add(i.id)
        self.updates: dict[int, list[Update]] = defaultdict(list)
        for update in updates:  # newest first already
            self.updates[update.initiative_id].append(update)
        # Initiatives with an update not every member may read: only those are filtered per reader.
        self.restricted = {u.initiative_id for u in updates if u.tlp not in OPEN_LABELS}
        # The batch's window as its updates span it: a period covering it takes every list whole.
        self.span = (updates[-1].created_at, updates[0].created_at) if updates else None
        self._covered: dict[tuple[object, ...], set[int]] = {}
        self._visible: dict[str, tuple[dict[int, Sequence[Update]], dict[int, int]]] = {}
        self._digests: dict[tuple[object, ...], Digest] = {}

    def _by_id(self, changes: Changes) -> list[tuple[int, str, dt.datetime]]:
        by_ref = {i.ref: i.id for i in self.initiatives.values()}
        return [(by_ref[ref], value, at) for ref, value, at in changes if ref in by_ref]

    def covered(self, scope: Scope) -> set[int]:
        """Ids of the initiatives in scope (as `Scope.covers` decides, by lookups instead of a scan)."""
        found = self._covered.get(scope.key)
        if found is None:
            if scope.everything:
                found = set(self.initiatives)
            else:
                found = {i for i in scope.initiatives if i in self.initiatives}
                for region in scope.regions:
                    found |= self.by_region.get(region, set())
                for country in scope.countries:
                    found |= self.by_country.get(country, set())
                for kind in scope.types:
                    found |= self.by_type.get(kind, set())
            self._covered[scope.key] = found
        return found

    def visible(self, member: Member) -> tuple[dict[int, Sequence[Update]], dict[int, int]]:
        """The batch's updates by initiative, newest first, that members reading like this one may read;
        and each initiative's rank, the most recently updated first."""
        key = reader_key(member)
        found = self._visible.get(key)
        if found is None:
            rights = rights_of(member)
            readable: dict[int, Sequence[Update]] = {}
            for initiative_id, every in self.updates.items():
                if initiative_id in self.restricted:
                    mine = [u for u in every if rights.allows(u)]
                    if mine:
                        readable[initiative_id] = every if len(mine) == len(every) else mine
                else:
                    readable[initiative_id] = every
            ranked = sorted(readable, key=lambda i: _newest(readable[i]), reverse=True)
            found = self._visible[key] = (readable, {i: n for n, i in enumerate(ranked)})
        return found

    def digest(self, due: DueDigest) -> Digest:
        """One subscription's digest: its scope, its period, what its member may read.

        Members who read alike (same role and delegation), with the same scope and period, share one.
        """
        scope, member = due.subscription.scope, due.member
        key = (scope.key, reader_key(member), due.start, due.end)
        cached = self._digests.get(key)
        if cached is None:
            cached = self._digests[key] = self._compose(scope, member, due.start, due.end)
        return cached

    def _compose(self, scope: Scope, member: Member, start: dt.datetime, end: dt.datetime) -> Digest:
        ids = self.covered(scope)
        visible, rank = self.visible(member)
        order = sorted(ids & visible.keys(), key=rank.__getitem__)
        if self.span is not None and start <= self.span[0] and self.span[1] < end:
            by_initiative = {i: visible[i] for i in order}
        else:  # a period cutting the batch's window may change which initiative is the most recent
            within = [(i, _within(visible[i], start, end)) for i in order]
            by_initiative = dict(
                sorted(((i, u) for i, u in within if u), key=lambda iu: _newest(iu[1]), reverse=True)
            )
        new = [i for i, at in self.created if i.id in ids and start <= at < end]
        status = [(i, value) for i, value, at in self.changes if i.id in ids and start <= at < end]
        soon = [
            e
            for e in self.events
            if scope.everything
            or e.initiative_id in ids
            or (e.country_code is not None and e.country_code in scope.countries)
        ]
        shown = {i: self.initiatives[i] for i in by_initiative}
        return Digest(
            start,
            end,
            by_initiative,
            shown,
            new,
            status,
            soon,
            composed_at=self.now,
            everything=scope.everything,
        )
