"""Reference data anyone may see: the delegations of the working party."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.model import Delegation
from bot.ports import UnitOfWorkFactory


async def delegations(uow_factory: UnitOfWorkFactory) -> Sequence[Delegation]:
    """Member states, then institutions, then observers."""
    async with uow_factory() as uow:
        found = await uow.catalog.delegations()
    order = {"member_state": 0, "institution": 1, "observer": 2}
    return sorted(found, key=lambda d: (order.get(d.kind.value, 3), d.code))
