"""Timing helpers shared by the in-process benchmarks: run a function, report median and p95."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def p95(samples: list[float]) -> float:
    """The 95th percentile, interpolated (statistics' "inclusive" method)."""
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def sample_ms(fn: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Wall time of ``repeats`` calls of ``fn`` in milliseconds, after ``warmup`` uncounted."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(samples), 2), "p95_ms": round(p95(samples), 2)}


def timings(fn: Callable[[], object], repeats: int, warmup: int = 1) -> dict[str, float]:
    """Median and p95 of ``repeats`` runs of ``fn``, in milliseconds (after ``warmup``), wall
    time and this thread's CPU time (what the work costs, without waiting for a busy machine)."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.thread_time()
        fn()
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    figures = summary(wall)
    figures.update({f"cpu_{k}": v for k, v in summary(cpu).items()})
    return figures
