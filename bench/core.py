"""Timing and the table: what every benchmark shares."""

from __future__ import annotations

import os
import platform
import statistics
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass

MICRO = 1e-6


@dataclass(frozen=True)
class Options:
    repeat: int = 7
    # Scales every benchmark's inner loop; below 1 for a quick look, above for steadier runs.
    scale: float = 1.0


@dataclass(frozen=True)
class Row:
    """One line of the table: the median time of one call, and what it is measured against."""

    item: str  # the item number the figure answers
    name: str
    median: float  # seconds per call
    low: float
    high: float
    target: float | None = None  # seconds per call, when the issue sets one
    note: str = ""
    clock: str = "wall"
    queries: int | None = None  # database queries per call, where that is part of the figure

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "meets" if self.median <= self.target else "MISSES"


Benchmark = Callable[[Options], list[Row]]
BENCHMARKS: dict[str, Benchmark] = {}


def register(name: str) -> Callable[[Benchmark], Benchmark]:
    def add(function: Benchmark) -> Benchmark:
        BENCHMARKS[name] = function
        return function

    return add


def per_call(
    function: Callable[[], object], *, number: int, options: Options, cpu: bool = False
) -> tuple[float, float, float]:
    """Median, fastest and slowest seconds per call over `options.repeat` runs of `number`
    calls each, after one warm-up run (imports, caches, the first connection).

    `cpu` counts this process's CPU time instead of the wall clock: for pure computation it
    is what the wall clock shows on a quiet machine, and it stays so on a busy one. Anything
    that waits on PostgreSQL or Redis must be timed on the wall clock."""
    number = max(1, round(number * options.scale))
    timer = timeit.Timer(function, timer=time.process_time if cpu else time.perf_counter)
    timer.timeit(number=max(1, number // 10))
    runs = [total / number for total in timer.repeat(repeat=options.repeat, number=number)]
    return statistics.median(runs), min(runs), max(runs)


def timed_row(
    item: str,
    name: str,
    function: Callable[[], object],
    *,
    number: int,
    options: Options,
    target: float | None = None,
    note: str = "",
    cpu: bool = False,
) -> Row:
    median, low, high = per_call(function, number=number, options=options, cpu=cpu)
    return Row(item, name, median, low, high, target, note, "cpu" if cpu else "wall")


def runs(
    function: Callable[[], object], *, options: Options, warmups: int = 1
) -> tuple[float, float, float]:
    """Median, fastest and slowest wall time of `options.repeat` single calls, after warm-up
    calls: for work that takes milliseconds or more, or that must be set up between calls."""
    for _ in range(warmups):
        function()
    times = []
    for _ in range(options.repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), max(times)


def _duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds / MICRO:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def render(rows: list[Row]) -> str:
    header = ("item", "benchmark", "clock", "median/call", "range", "queries", "target", "", "note")
    lines = [
        (
            row.item,
            row.name,
            row.clock,
            _duration(row.median),
            f"{_duration(row.low)} – {_duration(row.high)}",
            "" if row.queries is None else str(row.queries),
            _duration(row.target) if row.target is not None else "",
            row.verdict,
            row.note,
        )
        for row in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    out = []
    for i, line in enumerate([header, *lines]):
        out.append("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def machine() -> str:
    """CPUs, memory, load, Python and PostgreSQL: the line every published figure needs."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    # The load says whether the figures were taken on a quiet machine.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs, {memory:.0f} GiB RAM, load {load}, "
        f"Python {platform.python_version()}, PostgreSQL {row[0] if row else '?'}"
    )
