"""An asyncio SQLite driver for SQLAlchemy that answers short reads without leaving the event loop.

aiosqlite runs every call (cursor, execute, fetch, commit, close) in a thread of its own and hands the
result back through the loop: a member lookup costs eight thread hand-offs, most of a simple handler's
time. Here each call runs where the unit of work says:

- a **read-only** unit of work (`uow_factory(read_only=True)`) starts a deferred transaction, which in WAL
  mode never waits for a writer and takes no lock a writer waits for; its statements are short index reads,
  so they run right in the event loop's thread;
- a **heavy** read (`bot.ports.heavy_reads()`: searches, digest previews, country profiles, paging) runs
  in a worker thread so the loop goes on with other chats meanwhile (sqlite3 lets go of the GIL while
  it works);
- a **write** unit of work starts with `BEGIN IMMEDIATE`, which may wait up to busy_timeout for the write
  lock: it runs in a worker thread, so another coroutine of this process holding the lock can finish.

The API is the part of aiosqlite's that SQLAlchemy's aiosqlite dialect uses, so the dialect is reused as
it is (`create_async_engine(..., async_creator=...)`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.ports import heavy_reads, reads_are_heavy

T = TypeVar("T")

# Set by a read-only unit of work for its duration (task-local, as the unit of work is).
_read_only: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_read_only", default=False)


def read_only_begun(value: bool) -> contextvars.Token[bool]:
    """Mark the unit of work of this task read-only (or not); reset with the token."""
    return _read_only.set(value)


def read_only_reset(token: contextvars.Token[bool]) -> None:
    """Back to what it was before `read_only_begun`."""
    _read_only.reset(token)


def in_read_only() -> bool:
    """Whether the unit of work of this task is read-only: its transaction need not take the write lock."""
    return _read_only.get()


def _inline() -> bool:
    return _read_only.get() and not reads_are_heavy()


class _Calls:
    """The calls on one sqlite3 connection, one after the other: inline, or in the connection's own worker
    thread (as aiosqlite does: a shared pool of threads could be taken up by writers waiting for the lock
    while the writer holding it waits for a thread to commit). A call whose awaiting task was cancelled
    still finishes in the worker before the next call starts."""

    def __init__(self, worker: ThreadPoolExecutor) -> None:
        self._worker = worker
        self._running: asyncio.Future[Any] | None = None
        self.expires: float | None = None  # a deadline's end (`Connection.deadline`), on the monotonic clock

    async def __call__(self, function: Callable[..., T], *args: Any) -> T:
        running = self._running
        if running is not None and not running.done():
            await asyncio.wait([running])
        if _inline():
            return function(*args)
        future = asyncio.get_running_loop().run_in_executor(self._worker, function, *args)
        self._running = future
        return await future


class Cursor:
    """An sqlite3 cursor whose calls run inline or in a worker, as the unit of work says."""

    def __init__(self, cursor: sqlite3.Cursor, calls: _Calls) -> None:
        self._cursor = cursor
        self._call = calls

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        expires = self._call.expires
        if expires is not None and time.monotonic() >= expires:
            raise sqlite3.OperationalError("interrupted")  # as SQLite says it: the deadline has passed
        await self._call(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Cursor:
        await self._call(self._cursor.executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return await self._call(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return await self._call(self._cursor.fetchmany, size or self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return await self._call(self._cursor.fetchall)

    async def close(self) -> None:
        await self._call(self._cursor.close)

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _CursorOpening:
    """What `Connection.cursor()` returns: awaitable, and an async context manager, as in aiosqlite."""

    def __init__(self, connection: sqlite3.Connection, calls: _Calls) -> None:
        self._connection = connection
        self._calls = calls

    def __await__(self) -> Any:
        return self.__aenter__().__await__()

    async def __aenter__(self) -> Cursor:
        return Cursor(self._connection.cursor(), self._calls)

    async def __aexit__(self, *_exc: object) -> None:
        return None


class Connection:
    """One sqlite3 connection (autocommit: the engine's `begin` listener starts each transaction)."""

    def __init__(self, connection: sqlite3.Connection, worker: ThreadPoolExecutor) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # the dialect checks it is still open
        self._worker = worker
        self._call = _Calls(worker)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> _CursorOpening:
        return _CursorOpening(self._conn, self._call)

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        cursor = Cursor(self._conn.cursor(), self._call)
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        await self._call(self._conn.commit)

    async def rollback(self) -> None:
        await self._call(self._conn.rollback)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @contextlib.contextmanager
    def deadline(self, seconds: float, steps: int) -> Iterator[None]:
        """Interrupt what runs on this connection once `seconds` have passed ("interrupted"). Statements
        that run in the worker thread are interrupted by a timer on the loop, so no Python runs while they
        work and the worker never asks for the GIL; inline ones (the loop cannot fire a timer meanwhile)
        by a look at the clock every `steps` virtual-machine instructions."""
        if _inline():
            deadline = time.monotonic() + seconds
            self._conn.set_progress_handler(lambda: int(time.monotonic() >= deadline), steps)
            try:
                yield
            finally:
                self._conn.set_progress_handler(None, steps)
            return
        timer = asyncio.get_running_loop().call_later(seconds, self._conn.interrupt)
        self._call.expires = time.monotonic() + seconds  # a statement begun after it is refused at once
        try:
            yield
        finally:
            timer.cancel()
            self._call.expires = None

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            with heavy_reads():  # never inline: closing may checkpoint the WAL
                await self._call(self._conn.close)
            self._worker.shutdown(wait=False)

    def stop(self) -> None:
        """Close at once (the dialect's forced termination)."""
        self._connection = None
        self._conn.close()
        self._worker.shutdown(wait=False)


def connector(database: str, *, uri: bool = False, pragmas: Sequence[str] = ()) -> Callable[[], Any]:
    """The `async_creator` of an engine on the SQLite file `database`: each new connection is opened, and
    its `pragmas` run, in a worker thread."""

    async def connect() -> Connection:
        def open_() -> sqlite3.Connection:
            connection = sqlite3.connect(database, uri=uri, isolation_level=None, check_same_thread=False)
            for pragma in pragmas:
                connection.execute(pragma)
            return connection

        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        return Connection(await asyncio.get_running_loop().run_in_executor(worker, open_), worker)

    return connect
