"""Working days (工作日) and deadlines counted in them.

Each day is decided by the first source that knows it:

1. an override row (`CalendarOverride`), typed in by an administrator;
2. the State Council schedule as published in the `chinesecalendar` package ("published"),
   which raises NotImplementedError for the years it does not cover;
3. for a year marked complete (`CalendarYear.complete`), the plain Monday–Friday rule, since
   the override table already holds that year's holidays and make-up days ("complete-year");
4. a guess: weekends and the `holidays` package's CN holidays are rest days ("guess"). Make-up
   working days cannot be guessed, so every answer that rests on a guess is *provisional*.

"N working days after D" does not count D itself (民法典 art. 201): the first day examined is
the day after D.
"""

from __future__ import annotations

import datetime
import functools
import logging
from dataclasses import dataclass
from typing import Literal

import chinese_calendar
import holidays
from django.db.models import BooleanField, DateField, F, Func, Value

from cases.models import CalendarOverride, CalendarYear

logger = logging.getLogger(__name__)

Source = Literal["override", "published", "complete-year", "guess"]
SOURCES: tuple[Source, ...] = ("override", "published", "complete-year", "guess")


@dataclass(frozen=True, slots=True)
class DayStatus:
    working: bool
    provisional: bool
    source: Source

    def __bool__(self) -> bool:
        # So that `if is_working_day(d):` means what it reads as, not "a status exists".
        return self.working


@dataclass(frozen=True)
class WorkdayResult:
    date: datetime.date
    provisional: bool


@dataclass(frozen=True)
class WorkdayCount:
    days: int
    provisional: bool


# Every status is one of these eight, shared so that a year's table is just references.
_STATUSES: dict[tuple[bool, Source], DayStatus] = {
    (working, source): DayStatus(working, source == "guess", source)
    for working in (True, False)
    for source in SOURCES
}

YearTable = tuple[DayStatus, ...]


_ONE_DAY = datetime.timedelta(days=1)


def _days_of(year: int) -> list[datetime.date]:
    first = datetime.date(year, 1, 1)
    return [first + i * _ONE_DAY for i in range(datetime.date(year, 12, 31).timetuple().tm_yday)]


# The package answers never change while the process runs, so they are kept per year for
# good; only the database answers (overrides, complete years) are read afresh.
@functools.cache
def _published_year(year: int) -> YearTable | None:
    """The year as `chinesecalendar` publishes it, or None when it has no data for it."""
    try:
        return tuple(
            _STATUSES[chinese_calendar.is_workday(day), "published"] for day in _days_of(year)
        )
    except NotImplementedError:
        return None


@functools.cache
def _guessed_year(year: int) -> YearTable:
    try:
        rest_days = set(holidays.country_holidays("CN", years=year))
    except Exception:  # a third-party rule table must not take deadlines down with it
        logger.exception("No CN holiday guess for %s; counting weekends only", year)
        rest_days = set()
    return tuple(
        _STATUSES[day.weekday() < 5 and day not in rest_days, "guess"] for day in _days_of(year)
    )


@functools.cache
def _monday_to_friday_year(year: int) -> YearTable:
    return tuple(_STATUSES[day.weekday() < 5, "complete-year"] for day in _days_of(year))


def is_published_year(year: int) -> bool:
    """Whether `chinesecalendar` has the State Council schedule for `year`."""
    return _published_year(year) is not None


class WorkingCalendar:
    """The calendar as the database and the packages say it is when first asked.

    It reads the override rows and complete years of the years it needs in one query, and
    again only when a count walks into a year it has not read. It keeps what it read, so an
    instance is a snapshot: use one per request or task, never one per process, or an
    administrator's edit would not be seen.
    """

    def __init__(self) -> None:
        # year -> (ordinal of 1 January, status of each day of the year)
        self._years: dict[int, tuple[int, YearTable]] = {}

    def load(self, first_year: int, last_year: int) -> None:
        """Read the database for the years in the span not read yet, in one query."""
        missing = [y for y in range(first_year, last_year + 1) if y not in self._years]
        if not missing:
            return
        overrides: dict[int, dict[int, bool]] = {y: {} for y in missing}
        complete: set[int] = set()
        for day, working in _calendar_rows(missing[0], missing[-1]):
            if day.year not in overrides:
                continue  # read before, and a snapshot does not change under its reader
            if working is None:
                complete.add(day.year)
            else:
                overrides[day.year][day.timetuple().tm_yday - 1] = working
        for year in missing:
            self._years[year] = (
                datetime.date(year, 1, 1).toordinal(),
                _year_table(year, overrides[year], year in complete),
            )

    def status(self, day: datetime.date) -> DayStatus:
        if day.year not in self._years:
            self.load(day.year, day.year)
        first, table = self._years[day.year]
        return table[day.toordinal() - first]

    def add_working_days(self, start: datetime.date, n: int) -> WorkdayResult:
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        # Twice n calendar days plus a month covers the longest holiday run; a longer walk
        # (overrides closing a whole month) just reads the next year when it gets there.
        self.load(start.year, _year_after(start, 2 * n + 31))
        day, provisional, remaining = start, False, n
        while remaining:
            day += _ONE_DAY
            status = self.status(day)
            provisional = provisional or status.provisional
            remaining -= status.working
        return WorkdayResult(day, provisional)

    def working_days_between(self, a: datetime.date, b: datetime.date) -> WorkdayCount:
        if b < a:
            count = self.working_days_between(b, a)
            return WorkdayCount(-count.days, count.provisional)
        self.load(a.year, b.year)
        days, provisional, day = 0, False, a
        while day < b:
            day += _ONE_DAY
            status = self.status(day)
            provisional = provisional or status.provisional
            days += status.working
        return WorkdayCount(days, provisional)


def _year_after(start: datetime.date, days: int) -> int:
    return datetime.date.fromordinal(
        min(start.toordinal() + days, datetime.date.max.toordinal())
    ).year


def _calendar_rows(first_year: int, last_year: int) -> list[tuple[datetime.date, bool | None]]:
    """Override rows as (date, working), and each complete year as (1 January, None).

    A UNION so that both tables cost one round trip."""
    overrides = CalendarOverride.objects.filter(
        date__gte=datetime.date(first_year, 1, 1), date__lte=datetime.date(last_year, 12, 31)
    ).values_list("date", "is_working_day")
    complete_years = CalendarYear.objects.filter(
        complete=True, year__gte=first_year, year__lte=last_year
    ).values_list(
        Func(F("year"), Value(1), Value(1), function="make_date", output_field=DateField()),
        Value(None, output_field=BooleanField()),
    )
    return list(overrides.union(complete_years, all=True))


def _year_table(year: int, overrides: dict[int, bool], complete: bool) -> YearTable:
    base = _published_year(year)
    if base is None:
        base = _monday_to_friday_year(year) if complete else _guessed_year(year)
    if not overrides:
        return base
    table = list(base)
    for index, working in overrides.items():
        table[index] = _STATUSES[working, "override"]
    return tuple(table)


def is_working_day(d: datetime.date) -> DayStatus:
    return WorkingCalendar().status(d)


def add_working_days(start: datetime.date, n: int) -> WorkdayResult:
    """The day N working days after `start`, not counting `start`; `start` itself for 0.

    Provisional when any day on the way was decided by the guess."""
    if n == 0:
        return WorkdayResult(start, provisional=False)
    return WorkingCalendar().add_working_days(start, n)


def working_days_between(a: datetime.date, b: datetime.date) -> WorkdayCount:
    """The number of working days d with a < d <= b, negated when b is before a, so that
    `working_days_between(a, add_working_days(a, n).date).days == n`."""
    return WorkingCalendar().working_days_between(a, b)
