"""What the sender asks of the handlers: queued messages made again as of now, and notices now due.

A queued alert or digest whose content changed before its turn (an edit, a label, a withdrawal, its
reader's rights) is rendered again here, with the same renderers that made it, from what the services
say its recipient may read now. Scheduled notices are queued here when their time comes, to their
audience as it is then.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from bot.domain.outbox import OutboxKind, Outgoing, Queued
from bot.ports import UnitOfWorkFactory
from bot.services import digests, notices, posting
from bot.services.catalog import place_names
from handlers.digest_render import DigestRenderer
from handlers.notice_render import recipient_message
from handlers.update_render import notification


class Composer(Protocol):
    """What the sender asks of the layer that renders messages."""

    async def refresh(self, row: Queued, now: dt.datetime) -> Outgoing | None:
        """The row's message made again as of now; None if there is nothing left its recipient may read."""

    async def release_due(self, now: dt.datetime) -> int:
        """Queue what became due (scheduled notices, to their audience as it is now); how many rows."""


class MessageComposer:
    """Renders queued messages again for the sender, and releases scheduled notices."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def refresh(self, row: Queued, now: dt.datetime) -> Outgoing | None:
        """The row's message as it would be made now for its recipient; None if nothing is left."""
        if row.member_id is None:
            return None
        basis = row.reveals.digest
        if row.kind is OutboxKind.DIGEST and basis is not None:
            found = await digests.recompose(self._uow, basis, row.member_id, now)
            if found is None:
                return None
            member, subscription, digest = found
            regions, countries = await place_names(self._uow)
            [message] = DigestRenderer(regions, countries)(member, subscription, digest)
            return message
        if row.kind is OutboxKind.FOLLOW and len(row.reveals.updates) == 1:
            alert = await posting.alert_for(self._uow, row.reveals.updates[0].update_id, row.member_id)
            return notification(*alert) if alert is not None else None
        return None

    async def release_due(self, now: dt.datetime) -> int:
        """Queue the scheduled notices whose time has come."""
        return await notices.dispatch_due(self._uow, now, recipient_message)
