"""Reference data anyone may see: the delegations of the working party."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.model import Delegation
from bot.ports import UnitOfWorkFactory


async def delegations(uow_factory: UnitOfWorkFactory) -> Sequence[Delegation]:
    """Member states, then institutions, then observers."""
    async with uow_factory(read_only=True) as uow:
        found = await uow.catalog.delegations()
    order = {"member_state": 0, "institution": 1, "observer": 2}
    return sorted(found, key=lambda d: (order.get(d.kind.value, 3), d.code))


async def place_names(uow_factory: UnitOfWorkFactory) -> tuple[dict[str, str], dict[str, str]]:
    """Region names by key and country names by code, for rendering many messages at once."""
    async with uow_factory(read_only=True) as uow:
        regions = {r.key: r.name for r in await uow.catalog.regions()}
        countries = {c.code: c.name for c in await uow.catalog.countries()}
    return regions, countries
