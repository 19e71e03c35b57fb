"""TLP visibility as SQL: the one translation of `bot.domain.access.Visibility` into a WHERE clause."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

from bot.domain.access import Visibility
from bot.domain.vocab import Tlp
from storage.models import UpdateRow, update_readers


def _labels(labels: frozenset[Tlp]) -> list[str]:
    return sorted(tlp.value for tlp in labels)


def visible_updates(visibility: Visibility) -> ColumnElement[bool]:
    """Rows of `updates` the reader may read, read off the same fields as `Visibility.allows`;
    withdrawn updates are never shown."""
    if visibility.nothing:
        return false()
    live = UpdateRow.withdrawn_at.is_(None)
    if visibility.everything:
        return live
    allowed: list[ColumnElement[bool]] = []
    if visibility.labels:
        allowed.append(UpdateRow.tlp.in_(_labels(visibility.labels)))
    own = visibility.delegation
    if own is not None and visibility.own:
        allowed.append(and_(UpdateRow.tlp.in_(_labels(visibility.own)), UpdateRow.delegation_code == own))
    if own is not None and visibility.named:
        named = exists(
            select(update_readers.c.update_id).where(
                update_readers.c.update_id == UpdateRow.id, update_readers.c.delegation_code == own
            )
        )
        allowed.append(and_(UpdateRow.tlp == Tlp.RED.value, named))
    return and_(live, or_(*allowed)) if allowed else false()
