"""SQLite serves one bot process: `emwp-bot run` holds an exclusive lock beside the database file for its
lifetime, and a second one on the same file is refused with a message saying so (PostgreSQL is how
several processes share a store)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from storage.engine import async_url


class StoreInUse(Exception):
    """Another process serves this SQLite file."""


def claim_sqlite(url: str) -> IO[str] | None:
    """Lock the SQLite file of `url` for this process (None for PostgreSQL or an in-memory database); keep
    the returned file open as long as the process serves. Raise StoreInUse if another process holds it."""
    target = async_url(url)
    database = target.database or ""
    if target.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    path = Path(database).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path.with_name(path.name + ".run-lock"), "a+", encoding="utf-8")  # noqa: SIM115 - kept open
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise StoreInUse(
            f"Another emwp-bot process (pid {holder}) is serving the SQLite database {path}. SQLite serves "
            "one process: stop the other one, or use PostgreSQL (DATABASE_URL=postgresql://…) to run several."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
