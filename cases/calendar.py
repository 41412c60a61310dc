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

The module functions (`add_working_days`, `is_working_day`, `working_days_between`) answer
from one calendar kept by the process, so that a call costs microseconds, not a query. It is
checked against the database (one small query comparing a digest of both calendar tables):

- on the first call of every request and every Celery task: an edit committed before the
  request or task started is always seen;
- at least once a second otherwise (management commands, long tasks such as the sweep):
  another process's edit is seen within one second;
- on every call after this process saved or deleted a calendar row until a check runs
  outside any transaction: a save is seen at once by the code that made it, and a rolled-back
  save stops counting as soon as the database no longer shows it.
"""

from __future__ import annotations

import datetime
import functools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import chinese_calendar
import holidays
from celery.signals import task_prerun
from django.core.signals import request_started
from django.db import connection
from django.db.models.signals import post_delete, post_save

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
    administrator's edit would not be seen (the module functions below keep one per process
    safely, checking its `stamp`).

    Every read also returns the digest of both calendar tables (`stamp`); when a later read
    finds another digest, an administrator changed the calendar in between and the years
    read before are dropped, so that one instance never mixes two states of the calendar.
    """

    def __init__(self, stamp: str | None = None) -> None:
        # year -> (ordinal of 1 January, status of each day of the year)
        self._years: dict[int, tuple[int, YearTable]] = {}
        self.stamp = stamp

    def load(self, first_year: int, last_year: int) -> None:
        """Read the database for the years in the span not read yet, in one query."""
        years = self._years
        missing = [y for y in range(first_year, last_year + 1) if y not in years]
        if missing:
            self._read(missing[0], missing[-1])

    def _read(self, first_year: int, last_year: int) -> dict[int, tuple[int, YearTable]]:
        stamp, rows = _calendar_rows(first_year, last_year)
        if self.stamp is not None and stamp != self.stamp:
            # A new dict, not clear(): a thread reading the old one keeps a whole snapshot.
            self._years = {}
        self.stamp = stamp
        overrides: dict[int, dict[int, bool]] = {y: {} for y in range(first_year, last_year + 1)}
        complete: set[int] = set()
        for day, working in rows:
            if working is None:
                complete.add(day.year)
            else:
                overrides[day.year][day.timetuple().tm_yday - 1] = working
        read = {
            year: (
                datetime.date(year, 1, 1).toordinal(),
                _year_table(year, overrides[year], year in complete),
            )
            for year in overrides
        }
        self._years.update(read)
        return read

    def _year(self, year: int) -> tuple[int, YearTable]:
        entry = self._years.get(year)
        return entry if entry is not None else self._read(year, year)[year]

    def status(self, day: datetime.date) -> DayStatus:
        first, table = self._year(day.year)
        return table[day.toordinal() - first]

    def add_working_days(self, start: datetime.date, n: int) -> WorkdayResult:
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        # Twice n calendar days plus a month covers the longest holiday run; a longer walk
        # (overrides closing a whole month) just reads the next year when it gets there.
        self.load(start.year, _year_after(start, 2 * n + 31))
        # The hot loop of every deadline: ordinals and the year's table, no date objects.
        ordinal, year = start.toordinal(), start.year
        first, table = self._year(year)
        provisional, remaining = False, n
        while remaining:
            ordinal += 1
            index = ordinal - first
            if index >= len(table):
                year += 1
                first, table = self._year(year)
                index = ordinal - first
            status = table[index]
            provisional = provisional or status.provisional
            remaining -= status.working
        return WorkdayResult(datetime.date.fromordinal(ordinal), provisional)

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


# The digest of both calendar tables: equal digests, equal answers. Computed by PostgreSQL
# over rows an administrator types in (a few hundred at most): well under a millisecond.
_STAMP_SQL = """
    SELECT md5(
        coalesce((SELECT string_agg(date::text || is_working_day::text, ',' ORDER BY date)
                  FROM cases_calendaroverride), '')
        || '|' ||
        coalesce((SELECT string_agg(year::text || complete::text, ',' ORDER BY year)
                  FROM cases_calendaryear), '')
    )
"""

# Override rows as (date, working), each complete year as (1 January, None), and the stamp
# on every row (on a single row of NULLs when the span has none): one round trip, plain SQL
# (compiling the equivalent ORM union cost more CPU than PostgreSQL spends answering it).
_ROWS_SQL = f"""
    SELECT stamp.digest, rows.day, rows.working
    FROM ({_STAMP_SQL}) AS stamp(digest)
    LEFT JOIN (
        SELECT date, is_working_day FROM cases_calendaroverride
        WHERE date BETWEEN %s AND %s
        UNION ALL
        SELECT make_date(year, 1, 1), NULL FROM cases_calendaryear
        WHERE complete AND year BETWEEN %s AND %s
    ) AS rows(day, working) ON true
"""  # noqa: S608 - no user input: table names only


def _calendar_rows(
    first_year: int, last_year: int
) -> tuple[str, list[tuple[datetime.date, bool | None]]]:
    """The stamp, and the override rows and complete years of the span."""
    with connection.cursor() as cursor:
        cursor.execute(
            _ROWS_SQL,
            [
                datetime.date(first_year, 1, 1),
                datetime.date(last_year, 12, 31),
                first_year,
                last_year,
            ],
        )
        rows = cursor.fetchall()
    return rows[0][0], [(day, working) for _stamp, day, working in rows if day is not None]


def calendar_stamp() -> str:
    """The digest of both calendar tables as this connection sees them now."""
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL)
        row = cursor.fetchone()
    return str(row[0]) if row else ""


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


# --- the calendar kept by the process --------------------------------------------------

# Longest time a process answers without asking the database, outside requests and tasks.
CHECK_EVERY_SECONDS = 1.0
_clock = time.monotonic  # a name of its own, so that tests can move it


@dataclass
class _Shared:
    calendar: WorkingCalendar | None = None
    checked_at: float = float("-inf")
    # A request or task began since the last check: the next call checks first.
    check_requested: bool = False
    # Threads of this process that saved or deleted a calendar row and have not been seen
    # outside a transaction since: until then every call checks (the edit may be rolled back).
    editing: set[int] = field(default_factory=set)


_SHARED = _Shared()


def current_calendar() -> WorkingCalendar:
    """The process's calendar, checked against the database when the rules above say so."""
    shared = _SHARED
    calendar = shared.calendar
    if (
        calendar is not None
        and not shared.check_requested
        and not shared.editing
        and _clock() - shared.checked_at < CHECK_EVERY_SECONDS
    ):
        return calendar
    return _check(shared)


def _check(shared: _Shared) -> WorkingCalendar:
    now = _clock()
    shared.check_requested = False
    if not connection.in_atomic_block:
        shared.editing.discard(threading.get_ident())
    calendar = shared.calendar
    if calendar is None:
        # Its first read sets the stamp: a cold process pays one query, not two.
        calendar = WorkingCalendar()
    else:
        stamp = calendar_stamp()
        if stamp != calendar.stamp:
            calendar = WorkingCalendar(stamp)
    shared.calendar, shared.checked_at = calendar, now
    return calendar


def forget_calendar() -> None:
    """Drop the process's calendar: the next call reads the database afresh."""
    global _SHARED
    _SHARED = _Shared()


def _request_check(**kwargs: Any) -> None:
    _SHARED.check_requested = True


def _edited(**kwargs: Any) -> None:
    _SHARED.editing.add(threading.get_ident())
    _SHARED.calendar = None


# A request or a task starting asks for a check; it costs nothing until the calendar is used.
request_started.connect(_request_check, dispatch_uid="cases.calendar.request_check")
for _model in (CalendarOverride, CalendarYear):
    post_save.connect(_edited, sender=_model, dispatch_uid=f"cases.calendar.saved.{_model}")
    post_delete.connect(_edited, sender=_model, dispatch_uid=f"cases.calendar.deleted.{_model}")


task_prerun.connect(_request_check, dispatch_uid="cases.calendar.task_check", weak=False)


def is_working_day(d: datetime.date) -> DayStatus:
    return current_calendar().status(d)


def add_working_days(start: datetime.date, n: int) -> WorkdayResult:
    """The day N working days after `start`, not counting `start`; `start` itself for 0.

    Provisional when any day on the way was decided by the guess."""
    if n == 0:
        return WorkdayResult(start, provisional=False)
    return current_calendar().add_working_days(start, n)


def working_days_between(a: datetime.date, b: datetime.date) -> WorkdayCount:
    """The number of working days d with a < d <= b, negated when b is before a, so that
    `working_days_between(a, add_working_days(a, n).date).days == n`."""
    return current_calendar().working_days_between(a, b)
