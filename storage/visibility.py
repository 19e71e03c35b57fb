"""TLP visibility as SQL: the one translation of `bot.domain.access.Visibility` into a WHERE clause."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from bot.domain.access import Visibility
from bot.domain.vocab import Tlp
from storage.models import UpdateRow, update_readers


def visible_updates(visibility: Visibility) -> ColumnElement[bool]:
    """Rows of `updates` the viewer may read; withdrawn updates are never shown."""
    live = UpdateRow.withdrawn_at.is_(None)
    if visibility.nothing:
        return false()
    if visibility.everything:
        return live
    if visibility.clear_only:
        return and_(live, UpdateRow.tlp == Tlp.CLEAR.value)
    own = visibility.delegation
    named = exists(
        select(update_readers.c.update_id).where(
            update_readers.c.update_id == UpdateRow.id, update_readers.c.delegation_code == own
        )
    )
    return and_(
        live,
        or_(
            UpdateRow.tlp.in_([Tlp.CLEAR.value, Tlp.GREEN.value]),
            and_(UpdateRow.tlp == Tlp.AMBER.value, true() if visibility.amber else false()),
            and_(
                UpdateRow.tlp.in_([Tlp.AMBER_STRICT.value, Tlp.RED.value]), UpdateRow.delegation_code == own
            ),
            and_(UpdateRow.tlp == Tlp.RED.value, named),
        ),
    )
