"""The deadline forecast: which open cases will miss their limit if nothing changes.

The method, in the words the supervisor's page uses: each stage of each kind of case is
worked first come, first served at the pace the agency's staff kept over the last
`PACE_WINDOW` working days (steps taken out of that stage per working day); a case is done
once the cases ahead of it and itself have been worked through at that pace, and when that
takes more working days than its limit leaves, it is forecast to miss the limit.

Two what-ifs change the inputs, never the method: a clerk absent for M working days takes
their share of each stage's pace away for those days, and N cases reassigned to colleagues
with spare capacity leave the queue (the N that would breach first), so that every case
behind them moves up.

This module is arithmetic only (exact fractions, no database): `cases.forecast_inputs` reads
the rows it works on, so that a test can give it a team and a queue whose answer is known."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from operator import attrgetter
from typing import Any

# Working days over which the pace is measured.
PACE_WINDOW = 20

Stage = tuple[str, str]  # (case kind, state)


@dataclass(frozen=True)
class QueuedCase:
    """An open case of the agency at one stage, in the order the stage works them."""

    case_id: int
    reference: str
    stage: Stage
    filed_at: datetime.datetime
    # The limit of the step it waits for and the working days left until it (None: no clock
    # runs, e.g. paused for documents; such a case still holds its place in the queue).
    due_on: datetime.date | None
    days_left: int | None


@dataclass(frozen=True)
class StagePace:
    """Steps taken out of one stage in the window, in all and per member of staff."""

    done: int
    by_staff: Mapping[int, int] = field(default_factory=dict)

    @property
    def per_day(self) -> Fraction:
        return Fraction(self.done, PACE_WINDOW)

    def share_of(self, user_id: int) -> Fraction:
        return Fraction(self.by_staff.get(user_id, 0), self.done) if self.done else Fraction(0)


@dataclass(frozen=True)
class WhatIf:
    reassigned: int = 0
    absent_user_id: int | None = None
    absent_days: int = 0

    @property
    def changes_anything(self) -> bool:
        return self.reassigned > 0 or (self.absent_user_id is not None and self.absent_days > 0)


@dataclass(frozen=True)
class Breach:
    case: QueuedCase
    ahead: int
    # Working days until the case is done at the forecast pace, as (numerator, denominator);
    # None when nobody takes steps out of its stage at all.
    needed: tuple[int, int] | None
    done_on: datetime.date | None
    # The day it becomes overdue is its limit: the forecast names that day.
    breaches_on: datetime.date

    @property
    def days_needed(self) -> Fraction | None:
        return Fraction(*self.needed) if self.needed is not None else None


@dataclass(frozen=True)
class Forecast:
    breaches: list[Breach]
    # The cases the what-if hands to colleagues with spare capacity (empty without one).
    reassigned: list[QueuedCase]
    paces: Mapping[Stage, StagePace]


def days_to_finish(
    work: int, pace: Fraction, *, slowed_for: int = 0, slowed_pace: Fraction | None = None
) -> Fraction | None:
    """Working days to finish `work` steps at `pace`, the first `slowed_for` days at
    `slowed_pace` instead; None when it never finishes."""
    slow = pace if slowed_pace is None else slowed_pace
    if slowed_for > 0 and slow * slowed_for >= work:
        return Fraction(work) / slow if slow else None
    if not pace:
        return None
    if slowed_for <= 0:
        return Fraction(work) / pace
    return slowed_for + (work - slow * slowed_for) / pace


def _sorted_by(items: Iterable[Any], *keys: Callable[[Any], Any]) -> list[Any]:
    """Sorted by `keys`, the first the most significant: one stable sort per key, last key
    first. The same order as one sort by a tuple of them, without building a tuple per item
    (thousands of them, and the garbage collector's passes over them, were most of the
    forecast's time)."""
    ordered = list(items)
    for key in reversed(keys):
        ordered.sort(key=key)
    return ordered


def _in_queue_order(cases: Iterable[QueuedCase]) -> dict[Stage, list[QueuedCase]]:
    queues: dict[Stage, list[QueuedCase]] = defaultdict(list)
    for case in _sorted_by(cases, attrgetter("filed_at"), attrgetter("case_id")):
        queues[case.stage].append(case)
    return queues


def _steps_needed(pace: StagePace, what_if: WhatIf) -> Callable[[int], tuple[int, int] | None]:
    """`days_to_finish` for one stage as a fraction (numerator, denominator) of working days,
    in integers: the queue of a busy agency holds thousands of cases, and building a
    `Fraction` for each one cost most of the forecast's time."""
    done, window = pace.done, PACE_WINDOW
    slowed_for, theirs = 0, 0
    if what_if.absent_user_id is not None and what_if.absent_days > 0:
        slowed_for, theirs = what_if.absent_days, pace.by_staff.get(what_if.absent_user_id, 0)
    # In the slowed days the stage moves (done - theirs) steps per `window` days.
    slow = done - theirs if done else 0

    def needed(work: int) -> tuple[int, int] | None:
        if slowed_for > 0 and slow * slowed_for >= work * window:
            return work * window, slow
        if not done:
            return None
        return work * window + theirs * slowed_for, done

    return needed


def _breaches(
    queues: Mapping[Stage, list[QueuedCase]],
    paces: Mapping[Stage, StagePace],
    what_if: WhatIf,
    day_after: Callable[[int], datetime.date],
) -> list[Breach]:
    found = []
    days: dict[int, datetime.date] = {}
    for stage, queue in queues.items():
        needed = _steps_needed(paces.get(stage, StagePace(0)), what_if)
        for ahead, case in enumerate(queue):
            if case.due_on is None or case.days_left is None or case.days_left < 0:
                continue  # no clock running, or already overdue: not a forecast
            fraction = needed(ahead + 1)
            if fraction is None:
                found.append(Breach(case, ahead, None, None, case.due_on))
                continue
            top, bottom = fraction
            if top > case.days_left * bottom:
                whole = -(-top // bottom)
                if whole not in days:
                    days[whole] = day_after(whole)
                found.append(Breach(case, ahead, fraction, days[whole], case.due_on))
    return _sorted_by(
        found,
        attrgetter("breaches_on"),
        attrgetter("case.filed_at"),
        attrgetter("case.case_id"),
    )


def forecast(
    cases: Iterable[QueuedCase],
    paces: Mapping[Stage, StagePace],
    *,
    what_if: WhatIf | None = None,
    day_after: Callable[[int], datetime.date],
) -> Forecast:
    """The cases forecast to miss their limit, soonest limit first. `day_after(n)` is the
    date n working days from today (the calendar's answer), for each case's forecast day."""
    what_if = what_if or WhatIf()
    cases = list(cases)
    breaches = _breaches(_in_queue_order(cases), paces, what_if, day_after)
    if what_if.reassigned <= 0:
        return Forecast(breaches, [], paces)
    handed = [b.case for b in breaches[: what_if.reassigned]]
    gone = {c.case_id for c in handed}
    remaining = _in_queue_order(c for c in cases if c.case_id not in gone)
    return Forecast(_breaches(remaining, paces, what_if, day_after), handed, paces)
