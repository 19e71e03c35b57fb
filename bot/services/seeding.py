"""Seed the store with the reference data a new install starts with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from bot.domain.model import Country, SeedReport
from bot.domain.seed import SeedData
from bot.ports import UnitOfWorkFactory


async def seed_store(
    uow_factory: UnitOfWorkFactory, seed: SeedData, countries: Sequence[Country], now: dt.datetime
) -> SeedReport:
    """Apply the seed in one transaction; record it in the audit log only when it changed something."""
    async with uow_factory() as uow:
        report = await uow.catalog.apply_seed(seed, countries, now)
        if report.changed:
            await uow.audit.append(
                at=now,
                actor_id=None,
                action="seed.applied",
                subject=f"seed v{seed.version}",
                details={"inserted": report.inserted, "updated": report.updated},
            )
        await uow.commit()
    return report


async def seed_if_empty(
    uow_factory: UnitOfWorkFactory,
    load_seed: Callable[[], SeedData],
    load_countries: Callable[[], Sequence[Country]],
    now: dt.datetime,
) -> SeedReport | None:
    """A new install starts with the seed; a store that has initiatives is left as it is."""
    async with uow_factory(read_only=True) as uow:
        if await uow.initiatives.count() > 0:
            return None
    return await seed_store(uow_factory, load_seed(), load_countries(), now)
