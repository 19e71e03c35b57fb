"""Engine factory: SQLite (WAL, foreign keys on) or PostgreSQL from one URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession

from storage import sqlite_driver


def async_url(url: str) -> URL:
    """Pick the asyncio driver for a plain sqlite:// or postgresql:// URL."""
    parsed = make_url(
        url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url
    )
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return parsed.set(drivername="sqlite+aiosqlite")
    if parsed.drivername in ("postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+asyncpg")
    return parsed


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Build the one engine of the process; for SQLite, create the folder and set pragmas."""
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        database = target.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # Sessions and connections always end their transactions; the pool need not roll back again.
        # The driver answers short reads in the loop's thread (storage/sqlite_driver.py).
        uri = bool(target.query.get("uri")) or database.startswith("file:")
        engine = create_async_engine(
            target,
            pool_reset_on_return=None,
            async_creator=sqlite_driver.connector(database or ":memory:", uri=uri, pragmas=SQLITE_PRAGMAS),
            **kwargs,
        )
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    # No pre-ping: it costs three round trips per checkout; a dropped connection is invalidated on error.
    # No JIT: it compiles for queries the planner guesses are big (tens of ms each), never worth it for
    # the short reads a chat needs.
    if target.get_driver_name() == "asyncpg":
        connect_args = kwargs.pop("connect_args", {})
        settings = {"jit": "off", **connect_args.get("server_settings", {})}
        kwargs["connect_args"] = {**connect_args, "server_settings": settings}
    return create_async_engine(target, pool_recycle=1800, **kwargs)


# Run on every new connection (its implicit BEGIN is off: `_sqlite_begin` starts every transaction). A
# writer waits up to busy_timeout for the lock, in a worker thread, so concurrent writers queue, not fail.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """One `AsyncSession` per unit of work; objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _sqlite_begin(connection: Any) -> None:
    """A read-only unit of work begins a deferred transaction: in WAL mode it reads one snapshot and
    neither takes nor waits for the write lock. Any other begins with BEGIN IMMEDIATE: it takes the write
    lock up front (waiting up to busy_timeout), instead of failing with "database is locked" when a read
    turns into a write while another writer is active. It also makes SAVEPOINTs (begin_nested) work as
    they should on SQLite."""
    cursor = connection.connection.cursor()  # the driver's own cursor: no statement machinery for this
    try:
        cursor.execute("BEGIN" if sqlite_driver.in_read_only() else "BEGIN IMMEDIATE")
    finally:
        cursor.close()


def insert_or_skip(session: AsyncSession, table: Table, *unique: str) -> postgresql.Insert | sqlite.Insert:
    """`INSERT … ON CONFLICT (unique) DO NOTHING` in the session's dialect (SQLite or PostgreSQL)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=list(unique))
