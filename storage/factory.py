"""Wire a store from a URL: engine, session factory and unit-of-work factory."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWorkFactory


@dataclass(frozen=True)
class Store:
    """The process's store: dispose it on shutdown."""

    engine: AsyncEngine
    uow: SqlUnitOfWorkFactory

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    async def upgrade(self) -> None:
        """Apply pending migrations."""
        await upgrade(self.engine)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def open_store(url: str) -> Store:
    """Build the store for this database URL (no I/O until first use)."""
    engine = make_engine(url)
    reading = None
    if engine.dialect.name == "postgresql":  # short reads without BEGIN and ROLLBACK round trips
        reading = make_session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))
    return Store(engine=engine, uow=SqlUnitOfWorkFactory(make_session_factory(engine), reading))
