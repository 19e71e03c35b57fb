"""cProfile of updates through an application: where a handler's time goes, in the report's words."""

from __future__ import annotations

import cProfile
import io
import pstats
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import Application


async def profiled(
    app: Application[Any, Any, Any, Any, Any, Any], updates: Sequence[Update], label: str, top: int = 25
) -> str:
    """Process `updates` one after the other under cProfile; the `top` costliest functions by own time
    and by cumulative time, with the number of updates so per-update figures can be read off."""
    profiler = cProfile.Profile()
    profiler.enable()
    for update in updates:
        await app.process_update(update)
    profiler.disable()
    parts = [f"cProfile of {len(updates)} × {label}"]
    for order in ("tottime", "cumulative"):
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats(order).print_stats(top)
        parts.append(stream.getvalue().strip())
    return "\n\n".join(parts)
