"""An in-memory unit of work for service tests (`store`), over fakes of the repositories of `bot.ports`."""

from tests.unit.fakes.store import MOROCCO, FakeStore, FakeUnitOfWork, seeded
from tests.unit.fakes.tables import Row, Tables

__all__ = ["MOROCCO", "FakeStore", "FakeUnitOfWork", "Row", "Tables", "seeded"]
