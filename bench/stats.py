"""Small helpers for timings: a stopwatch and median/p99 summaries."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np


def summary(values: Sequence[float], digits: int = 3) -> dict[str, float]:
    """Median, p99, mean and count of a list of measurements (ms, s or rates, as given)."""
    if not values:
        return {"median": 0.0, "p99": 0.0, "mean": 0.0, "n": 0}
    arr = np.asarray(values, dtype=np.float64)
    return {
        "median": round(float(np.median(arr)), digits),
        "p99": round(float(np.percentile(arr, 99)), digits),
        "mean": round(float(arr.mean()), digits),
        "n": len(arr),
    }


def rate_summary(counts: Sequence[int], seconds: Sequence[float]) -> dict[str, float]:
    """Throughput per batch (items/s): median, and the slow tail (the rate of the 99th-percentile batch)."""
    rates = [c / s for c, s in zip(counts, seconds, strict=True) if s > 0]
    if not rates:
        return {"median": 0.0, "p99": 0.0, "mean": 0.0, "n": 0}
    arr = np.asarray(rates)
    total = sum(counts) / max(sum(seconds), 1e-12)
    return {"median": round(float(np.median(arr)), 1), "p99": round(float(np.percentile(arr, 1)), 1),
            "mean": round(float(total), 1), "n": len(arr)}


class Stopwatch:
    """`with Stopwatch() as t: ...` then `t.ms` / `t.s`."""

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        self.s = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.s = time.perf_counter() - self._start

    @property
    def ms(self) -> float:
        return self.s * 1000.0


def ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0
