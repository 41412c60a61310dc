from __future__ import annotations

import datetime

import pytest
from django.db import transaction

from cases.calendar import (
    WorkdayCount,
    WorkdayResult,
    WorkingCalendar,
    add_working_days,
    is_published_year,
    is_working_day,
    working_days_between,
)
from cases.models import CalendarOverride
from cases.signals import calendar_changed
from tests.cases.factories import CalendarOverrideFactory, CalendarYearFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def _2027_is_unpublished():
    # The provisional cases below rest on chinesecalendar 1.11 lacking 2027.
    assert not is_published_year(2027), "chinesecalendar publishes 2027 now: use a later year"


@pytest.fixture
def announcements():
    received: list[frozenset[int]] = []

    def receiver(sender, years, **kwargs):
        received.append(years)

    calendar_changed.connect(receiver)
    yield received
    calendar_changed.disconnect(receiver)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 9, 24), 10, D(2026, 10, 15)),
        (D(2026, 10, 3), 1, D(2026, 10, 8)),
        (D(2026, 2, 10), 15, D(2026, 3, 9)),
    ],
)
def test_it_gives_the_known_answers(start, n, expected):
    result = add_working_days(start, n)

    assert result == WorkdayResult(expected, provisional=False)


def test_it_counts_a_make_up_saturday():
    status = is_working_day(D(2026, 10, 10))

    result = add_working_days(D(2026, 10, 9), 1)

    assert status.working
    assert not status.provisional
    assert status.source == "published"
    assert result == WorkdayResult(D(2026, 10, 10), provisional=False)


def test_it_skips_the_national_day_holiday():
    start = D(2026, 9, 30)

    result = add_working_days(start, 1)

    assert result == WorkdayResult(D(2026, 10, 8), provisional=False)
    assert not is_working_day(D(2026, 10, 5))


def test_it_reads_the_database_once_per_call(django_assert_num_queries):
    with django_assert_num_queries(1):
        add_working_days(D(2026, 12, 20), 15)


def test_an_unpublished_year_is_guessed_and_provisional():
    new_year = is_working_day(D(2027, 1, 1))

    result = add_working_days(D(2027, 1, 1), 1)

    assert not new_year.working
    assert new_year.provisional
    assert new_year.source == "guess"
    assert result == WorkdayResult(D(2027, 1, 4), provisional=True)


def test_a_deadline_from_late_december_into_the_next_unpublished_year_is_provisional():
    start = D(2026, 12, 28)

    inside_2026 = add_working_days(start, 3)
    into_2027 = add_working_days(start, 5)

    assert inside_2026 == WorkdayResult(D(2026, 12, 31), provisional=False)
    assert into_2027 == WorkdayResult(D(2027, 1, 5), provisional=True)


def test_an_override_making_a_working_day_a_rest_day_moves_the_deadline():
    CalendarOverrideFactory.create(date=D(2026, 10, 12), is_working_day=False)

    result = add_working_days(D(2026, 9, 24), 10)

    assert result == WorkdayResult(D(2026, 10, 16), provisional=False)
    assert is_working_day(D(2026, 10, 12)).source == "override"


def test_an_override_making_a_sunday_a_working_day_counts_it():
    CalendarOverrideFactory.create(date=D(2026, 10, 11), is_working_day=True)

    result = add_working_days(D(2026, 10, 9), 2)

    assert result == WorkdayResult(D(2026, 10, 11), provisional=False)


def test_an_override_in_an_unpublished_year_does_not_make_the_rest_of_it_certain():
    CalendarOverrideFactory.create(date=D(2027, 1, 4), is_working_day=False)

    result = add_working_days(D(2027, 1, 1), 1)

    assert result == WorkdayResult(D(2027, 1, 5), provisional=True)


def test_a_complete_year_follows_its_overrides_and_monday_to_friday_for_certain():
    CalendarOverrideFactory.create(date=D(2027, 1, 1), is_working_day=False)
    CalendarYearFactory.create(year=2027, complete=True)

    result = add_working_days(D(2026, 12, 31), 1)
    guessed_holiday = is_working_day(D(2027, 2, 10))

    assert result == WorkdayResult(D(2027, 1, 4), provisional=False)
    assert guessed_holiday.working
    assert not guessed_holiday.provisional
    assert guessed_holiday.source == "complete-year"


def test_an_incomplete_year_row_changes_nothing():
    CalendarYearFactory.create(year=2027, complete=False)

    result = add_working_days(D(2027, 1, 1), 1)

    assert result == WorkdayResult(D(2027, 1, 4), provisional=True)


def test_counting_between_agrees_with_adding():
    CalendarOverrideFactory.create(date=D(2026, 11, 16), is_working_day=False)
    CalendarOverrideFactory.create(date=D(2027, 1, 9), is_working_day=True)
    starts = [D(2026, 9, 1) + datetime.timedelta(days=i) for i in range(0, 180, 5)]

    for start in starts:
        for n in (0, 1, 2, 3, 5, 8, 13, 21, 34):
            result = add_working_days(start, n)
            forward = working_days_between(start, result.date)
            backward = working_days_between(result.date, start)

            assert forward == WorkdayCount(n, result.provisional), (start, n)
            assert backward == WorkdayCount(-n, result.provisional), (start, n)
            assert n == 0 or is_working_day(result.date).working, (start, n)


def test_zero_working_days_after_a_day_is_that_day_even_on_a_holiday():
    result = add_working_days(D(2026, 10, 3), 0)

    assert result == WorkdayResult(D(2026, 10, 3), provisional=False)
    assert working_days_between(D(2027, 1, 1), D(2027, 1, 1)) == WorkdayCount(0, False)


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError, match="negative"):
        add_working_days(D(2026, 10, 3), -1)


def test_nothing_crashes_from_1900_to_2100():
    count = working_days_between(D(1899, 12, 31), D(2100, 12, 31))

    ends = {year: add_working_days(D(year, 12, 20), 10).date for year in range(1900, 2101)}

    assert count.provisional
    assert 200 * 240 < count.days < 201 * 262
    assert all(D(year, 12, 31) < end < D(year + 1, 1, 15) for year, end in ends.items())


def test_a_calendar_instance_reads_a_year_once_and_keeps_it(django_assert_num_queries):
    calendar = WorkingCalendar()
    calendar.add_working_days(D(2026, 9, 24), 10)

    with django_assert_num_queries(0):
        result = calendar.add_working_days(D(2026, 9, 24), 10)

    assert result == WorkdayResult(D(2026, 10, 15), provisional=False)


def test_saving_an_override_announces_its_year_after_commit(
    announcements, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        CalendarOverrideFactory.create(date=D(2027, 1, 2), is_working_day=True)

        assert announcements == []

    assert announcements == [frozenset({2027})]


def test_moving_an_override_to_another_year_announces_both(
    announcements, django_capture_on_commit_callbacks
):
    override = CalendarOverrideFactory.create(date=D(2026, 12, 31), is_working_day=False)

    with django_capture_on_commit_callbacks(execute=True):
        override.date = D(2027, 1, 4)
        override.save()

    assert announcements[-1] == frozenset({2026, 2027})


def test_deleting_an_override_or_completing_a_year_announces_the_year(
    announcements, django_capture_on_commit_callbacks
):
    override = CalendarOverrideFactory.create(date=D(2027, 1, 2), is_working_day=True)
    year = CalendarYearFactory.create(year=2028)

    with django_capture_on_commit_callbacks(execute=True):
        override.delete()
        year.complete = True
        year.save()

    assert announcements[-2:] == [frozenset({2027}), frozenset({2028})]


def test_a_rolled_back_edit_announces_nothing(announcements, django_capture_on_commit_callbacks):
    def save_then_fail():
        with transaction.atomic():
            CalendarOverrideFactory.create(date=D(2027, 1, 2), is_working_day=True)
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        save_then_fail()

    assert announcements == []
    assert not CalendarOverride.objects.exists()
