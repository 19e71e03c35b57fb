"""What was posted on an initiative, per reading class, and the order of lists that follows from it.

An initiative's place in a list is its newest activity *that the reader may read*: its own (created,
curated: `last_activity_at`), the newest CLEAR or GREEN update (every member), the newest AMBER one
(readers of AMBER), the newest of any label (admins), and per delegation the newest AMBER+STRICT or RED
update it posted and the newest RED one naming it. `refresh` recomputes them from the updates whenever
one is posted, relabelled or withdrawn; `latest_for` turns a `Visibility` into the expression to order
by, reading the same fields as `Visibility.allows` does. Never commits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain.access import OPEN_LABELS, Visibility
from bot.domain.vocab import Tlp
from storage.models import DelegationActivityRow, InitiativeRow, UpdateRow, update_readers

OWN = frozenset({Tlp.AMBER_STRICT, Tlp.RED})


async def refresh(session: AsyncSession, initiative_id: int) -> None:
    """Recompute the initiative's activity per reading class from its live updates."""
    by_label = await session.execute(
        select(UpdateRow.tlp, UpdateRow.delegation_code, func.max(UpdateRow.created_at))
        .where(UpdateRow.initiative_id == initiative_id, UpdateRow.withdrawn_at.is_(None))
        .group_by(UpdateRow.tlp, UpdateRow.delegation_code)
    )
    named = await session.execute(
        select(update_readers.c.delegation_code, func.max(UpdateRow.created_at))
        .join(UpdateRow, UpdateRow.id == update_readers.c.update_id)
        .where(
            UpdateRow.initiative_id == initiative_id,
            UpdateRow.withdrawn_at.is_(None),
            UpdateRow.tlp == Tlp.RED.value,
        )
        .group_by(update_readers.c.delegation_code)
    )
    classes: dict[str, dt.datetime] = {}
    delegations: dict[str, dict[str, dt.datetime]] = defaultdict(dict)
    for tlp, delegation, at in by_label:
        label = Tlp(tlp)
        keys = ["all"]
        keys += ["open"] if label in OPEN_LABELS else ["amber"] if label is Tlp.AMBER else []
        for key in keys:
            classes[key] = max(classes.get(key, at), at)
        if label in OWN:
            mine = delegations[delegation]
            mine["own_at"] = max(mine.get("own_at", at), at)
    for delegation, at in named:
        delegations[delegation]["named_at"] = at
    await session.execute(
        update(InitiativeRow)
        .where(InitiativeRow.id == initiative_id)
        .values(
            open_activity_at=classes.get("open"),
            amber_activity_at=classes.get("amber"),
            all_activity_at=classes.get("all"),
        )
    )
    await session.execute(
        delete(DelegationActivityRow).where(DelegationActivityRow.initiative_id == initiative_id)
    )
    if delegations:
        rows: list[dict[str, Any]] = [
            {"initiative_id": initiative_id, "delegation_code": code, "own_at": None, "named_at": None, **at}
            for code, at in delegations.items()
        ]
        await session.execute(insert(DelegationActivityRow), rows)


def _later(first: Any, other: Any) -> ColumnElement[Any]:
    """The later of two times; a NULL `other` counts for nothing (GREATEST, on both backends)."""
    return case((other > first, other), else_=first)


def latest_for(visibility: Visibility) -> tuple[Any, Any | None]:
    """The newest activity of an initiative that `visibility` may read, to order by; and the activity row
    of the reader's delegation to outer-join for it (None when not needed)."""
    latest: Any = InitiativeRow.last_activity_at
    if visibility.nothing:
        return latest, None
    if visibility.everything:
        return _later(latest, InitiativeRow.all_activity_at), None
    if visibility.labels >= OPEN_LABELS:
        latest = _later(latest, InitiativeRow.open_activity_at)
    if Tlp.AMBER in visibility.labels:
        latest = _later(latest, InitiativeRow.amber_activity_at)
    code = visibility.delegation
    if code is None or not (visibility.own >= OWN or visibility.named):
        return latest, None
    mine = aliased(DelegationActivityRow)
    if visibility.own >= OWN:
        latest = _later(latest, mine.own_at)
    if visibility.named:
        latest = _later(latest, mine.named_at)
    joined = (mine, and_(mine.initiative_id == InitiativeRow.id, mine.delegation_code == code))
    return latest, joined
