"""The process-wide working-day calendar (issue #7, item 6): calls at steady state ask the
database nothing, and an administrator's edit is seen at once by the process that made it,
by any request or task that starts after its commit, and by everything else within a second.

"Another process" is a second connection of its own that commits an override row: another
process's only channel to this one is the database, exactly as with a real second machine."""

from __future__ import annotations

import datetime

import psycopg
import pytest
from django.core.signals import request_started
from django.db import close_old_connections, connection, transaction

from cases import calendar
from cases.calendar import WorkdayResult, add_working_days, calendar_stamp, is_working_day
from cases.models import CalendarOverride

D = datetime.date
# 2026-09-24 + 10 working days is 2026-10-15; closing Monday 12 October moves it to the 16th.
START, N = D(2026, 9, 24), 10
PLAIN, MOVED = D(2026, 10, 15), D(2026, 10, 16)
EDITED_DAY = D(2026, 10, 12)


@pytest.fixture
def other_process():
    """Commit overrides through a connection of its own, as another machine would; the test's
    own connection sees them at once (READ COMMITTED). They are deleted afterwards, since the
    test's rollback cannot undo them."""
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    )
    closed: list[datetime.date] = []

    def closes(day: datetime.date) -> None:
        other.execute(
            "INSERT INTO cases_calendaroverride (date, is_working_day, note, updated_at) "
            "VALUES (%s, false, 'closed elsewhere', now())",
            [day],
        )
        closed.append(day)

    yield closes
    with other:
        other.execute("DELETE FROM cases_calendaroverride WHERE date = ANY(%s)", [closed])


def _a_request_begins() -> None:
    """request_started as a request sends it, without Django's handler that closes the
    test's connection (the test client leaves that one out too)."""
    request_started.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
    finally:
        request_started.connect(close_old_connections)


@pytest.fixture
def clock(monkeypatch):
    """The monotonic clock the calendar reads, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(calendar, "_clock", lambda: now[0])
    return now


@pytest.mark.django_db
def test_calls_at_steady_state_ask_the_database_nothing(django_assert_num_queries, clock):
    first = D(2026, 1, 5)
    add_working_days(first, 15)

    with django_assert_num_queries(0):
        results = {add_working_days(first + datetime.timedelta(days=i), 15) for i in range(300)}

    assert len(results) > 100


@pytest.mark.django_db
def test_a_cold_process_reads_the_calendar_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        result = add_working_days(D(2026, 12, 20), 15)

    assert result.provisional  # runs into 2027, which is not published


@pytest.mark.django_db
def test_an_edit_in_this_process_is_seen_by_the_next_call_at_once(clock):
    assert add_working_days(START, N).date == PLAIN

    CalendarOverride.objects.create(date=EDITED_DAY, is_working_day=False)

    assert add_working_days(START, N) == WorkdayResult(MOVED, provisional=False)
    assert is_working_day(EDITED_DAY).source == "override"


@pytest.mark.django_db
def test_a_rolled_back_edit_stops_counting_once_rolled_back(clock):
    add_working_days(START, N)
    seen_inside: list[datetime.date] = []

    def edit_then_fail() -> None:
        with transaction.atomic():
            CalendarOverride.objects.create(date=EDITED_DAY, is_working_day=False)
            seen_inside.append(add_working_days(START, N).date)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        edit_then_fail()

    assert seen_inside == [MOVED]
    assert add_working_days(START, N).date == PLAIN


@pytest.mark.django_db
def test_another_process_edit_is_seen_by_the_next_request(clock, other_process):
    assert add_working_days(START, N).date == PLAIN
    other_process(EDITED_DAY)

    within_the_second = add_working_days(START, N).date
    _a_request_begins()
    after_a_request_began = add_working_days(START, N).date

    assert within_the_second == PLAIN  # the documented bound: no request, under a second
    assert after_a_request_began == MOVED


@pytest.mark.django_db
def test_another_process_edit_is_seen_by_the_next_celery_task(clock, other_process):
    from celery.signals import task_prerun

    add_working_days(START, N)
    other_process(EDITED_DAY)

    task_prerun.send(sender=None, task_id="t", task=None, args=(), kwargs={})

    assert add_working_days(START, N).date == MOVED


@pytest.mark.django_db
def test_another_process_edit_is_seen_within_a_second_without_any_request(clock, other_process):
    add_working_days(START, N)
    other_process(EDITED_DAY)

    clock[0] += 0.5
    half_a_second = add_working_days(START, N).date
    clock[0] += calendar.CHECK_EVERY_SECONDS
    past_the_bound = add_working_days(START, N).date

    assert half_a_second == PLAIN
    assert past_the_bound == MOVED


@pytest.mark.django_db
def test_a_check_that_finds_nothing_changed_keeps_the_years_read(django_assert_num_queries, clock):
    add_working_days(START, N)
    _a_request_begins()

    with django_assert_num_queries(1):  # the stamp only, no year read again
        add_working_days(START, N)
        add_working_days(START, N)


@pytest.mark.django_db
def test_the_stamp_follows_the_content_of_both_tables():
    from cases.models import CalendarYear

    empty = calendar_stamp()
    override = CalendarOverride.objects.create(date=EDITED_DAY, is_working_day=False)
    one_override = calendar_stamp()
    override.is_working_day = True
    override.save()
    flipped = calendar_stamp()
    override.delete()
    year = CalendarYear.objects.create(year=2027, complete=False)
    incomplete_year = calendar_stamp()
    year.complete = True
    year.save()

    assert len({empty, one_override, flipped, calendar_stamp()}) == 4
    assert incomplete_year != empty
