"""Charts drawn by the server: the geometry of simple bar charts, which the templates in
templates/cases/charts/ write out as inline SVG (attributes only: the page's CSP allows no
inline style and no script, and nothing is loaded from elsewhere)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

# Bootstrap 5.3's primary, success, danger and secondary colours, as SVG fill attributes.
PRIMARY, SUCCESS, DANGER, MUTED = "#0d6efd", "#198754", "#dc3545", "#6c757d"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    label: str
    value: str

    @property
    def end(self) -> float:
        return self.x + self.width


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    legend: list[tuple[str, str]]  # (fill, label)


def horizontal_bars(
    rows: Sequence[tuple[str, float, str]],
    *,
    maximum: float | None = None,
    fill: str = PRIMARY,
    width: int = 560,
    label_width: int = 200,
    bar_height: int = 22,
) -> Chart:
    """One bar per row (label, value, value as written), longest for the largest value
    (or `maximum`); the label left of the bar, the value after it."""
    top = max([maximum or 0.0, *(value for _, value, _ in rows)]) or 1.0
    room = width - label_width - 60
    bars, ticks = [], []
    for i, (label, value, written) in enumerate(rows):
        y = i * (bar_height + 8) + 4
        length = room * value / top
        bars.append(Bar(label_width, y, max(length, 1.0), bar_height, fill, label, written))
        ticks.append(Tick(label_width - 6, y + bar_height * 0.7, label))
    height = len(rows) * (bar_height + 8) + 8
    return Chart(width, max(height, 30), bars, ticks, [])


def weekly_pairs(
    weeks: Sequence[tuple[datetime.date, int, int]],
    labels: tuple[str, str],
    *,
    width: int = 560,
    height: int = 200,
) -> Chart:
    """Two bars a week side by side (filed, closed), the week's Monday written below."""
    top = max([1, *(max(a, b) for _, a, b in weeks)])
    plot = height - 30
    slot = (width - 20) / max(len(weeks), 1)
    bar = slot * 0.38
    bars, ticks = [], []
    for i, (monday, filed, closed) in enumerate(weeks):
        x = 10 + i * slot + slot * 0.1
        for offset, value, fill, label in (
            (0.0, filed, PRIMARY, labels[0]),
            (bar, closed, SUCCESS, labels[1]),
        ):
            tall = plot * value / top
            bars.append(
                Bar(
                    x + offset,
                    plot - tall + 4,
                    bar,
                    max(tall, 0.5),
                    fill,
                    f"{monday:%m-%d} {label}",
                    str(value),
                )
            )
        ticks.append(Tick(x + bar, height - 8, f"{monday:%m-%d}"))
    return Chart(width, height, bars, ticks, [(PRIMARY, labels[0]), (SUCCESS, labels[1])])
