"""Timing harness shared by the kgrepo, rdflib and ML Metadata benchmarks (standard library only).

Each question is called ``warmup`` times untimed, then up to ``reps`` times timed with
``time.perf_counter``, stopping early once ``budget_s`` seconds of timed calls have passed (but
after at least ``min_reps``). p50 and p99 are nearest-rank percentiles of the timed calls (with
fewer than 100 calls, p99 is the slowest call).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from typing import Any


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def measure(
    fn: Callable[[], Any],
    *,
    reps: int = 50,
    warmup: int = 3,
    budget_s: float = 30.0,
    min_reps: int = 3,
) -> dict[str, Any]:
    """Times ``fn``; returns p50/p99/min/max in milliseconds, the number of calls and a sample of
    what the last call returned (its ``len`` when it has one)."""
    result: Any = None
    t_warm = time.perf_counter()
    for _ in range(warmup):
        result = fn()
        # one very slow warm-up call is enough to know the question is slow
        if time.perf_counter() - t_warm > budget_s / 2:
            break
    times: list[float] = []
    gc.collect()
    spent = 0.0
    while len(times) < reps and (len(times) < min_reps or spent < budget_s):
        t = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t
        times.append(dt * 1000)
        spent += dt
        if spent > budget_s * 4 and len(times) >= 1:  # a call far over budget: stop at once
            break
    try:
        size: Any = len(result)
    except TypeError:
        size = None if result is None else 1
    return {
        "p50_ms": percentile(times, 50),
        "p99_ms": percentile(times, 99),
        "min_ms": min(times),
        "max_ms": max(times),
        "calls": len(times),
        "result_size": size,
    }
