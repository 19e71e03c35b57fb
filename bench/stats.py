"""Figures the benchmarks share."""

from __future__ import annotations

from collections.abc import Sequence


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile; NaN for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)] if ordered else float("nan")
