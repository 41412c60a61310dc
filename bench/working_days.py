"""Issue item 5: `add_working_days(d, 15)` per call, against a plain day-by-day loop over
`chinese_calendar.is_workday`. Target: under 20 µs per call."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable

import chinese_calendar

from bench.core import MICRO, Options, Row, register, timed_row

N = 15
TARGET = 20 * MICRO
# Every start date of a published year, so that no single lucky date sets the figure and the
# reference (which knows published years only) can answer each of them.
STARTS = [datetime.date(2025, 1, 1) + datetime.timedelta(days=i) for i in range(365)]


def reference_add_working_days(start: datetime.date, n: int) -> datetime.date:
    """The obvious implementation: walk day by day, asking the package about each day."""
    day = start
    while n:
        day += datetime.timedelta(days=1)
        n -= chinese_calendar.is_workday(day)
    return day


def _select_one() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def cycling(call: Callable[[datetime.date], object]) -> Callable[[], object]:
    """A call taking the next start date each time round."""
    starts = itertools.cycle(STARTS)
    return lambda: call(next(starts))


@register("working-days")
def add_working_days_15(options: Options) -> list[Row]:
    from django.core.cache import cache

    from cases.calendar import WorkingCalendar, _calendar_rows, add_working_days, calendar_stamp
    from cases.models import CalendarOverride

    shared = WorkingCalendar()
    if not CalendarOverride.objects.filter(date__year__in=[2025, 2026]).exists():
        # Same answers, or the figures compare different work.
        for start in STARTS:
            assert shared.add_working_days(start, N).date == reference_add_working_days(start, N)

    return [
        timed_row(
            "5",
            "add_working_days(d, 15), one WorkingCalendar reused",
            cycling(lambda d: shared.add_working_days(d, N)),
            number=20_000,
            options=options,
            target=TARGET,
            note="the fast path: a calendar kept across calls",
        ),
        timed_row(
            "5",
            "add_working_days(d, 15), one WorkingCalendar reused",
            cycling(lambda d: shared.add_working_days(d, N)),
            number=20_000,
            options=options,
            target=TARGET,
            cpu=True,
            note="the same, CPU time: what a quiet machine shows",
        ),
        timed_row(
            "6",
            "cases.calendar.add_working_days(d, 15)",
            cycling(lambda d: add_working_days(d, N)),
            number=20_000,
            options=options,
            target=TARGET,
            note="module function: the process's calendar, checked once a second",
        ),
        timed_row(
            "6",
            "cases.calendar.add_working_days(d, 15)",
            cycling(lambda d: add_working_days(d, N)),
            number=20_000,
            options=options,
            target=TARGET,
            cpu=True,
            note="the same, CPU time",
        ),
        timed_row(
            "6",
            "  a check of the calendar (stamp query)",
            calendar_stamp,
            number=500,
            options=options,
            note="once per request or task using the calendar, or once a second",
        ),
        timed_row(
            "6",
            "  reading a year (rows and stamp, one query)",
            lambda: _calendar_rows(2025, 2025),
            number=500,
            options=options,
            note="a cold year, or after an edit",
        ),
        timed_row(
            "5",
            "  of which: a bare round trip (SELECT 1)",
            _select_one,
            number=500,
            options=options,
            note="the floor of any per-call query",
        ),
        timed_row(
            "5",
            "  a cache read from Redis (cache.get)",
            lambda: cache.get("bench:calendar-version"),
            number=500,
            options=options,
            note="the floor of checking a shared version per call",
        ),
        timed_row(
            "5",
            "reference: day-by-day chinese_calendar.is_workday",
            cycling(lambda d: reference_add_working_days(d, N)),
            number=500,
            options=options,
            cpu=True,
            note="no overrides, no guess for unpublished years",
        ),
    ]
