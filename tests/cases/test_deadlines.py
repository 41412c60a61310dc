from __future__ import annotations

import datetime

import pytest
from django.db import transaction

from accounts.models import RegionPolicy
from cases.calendar import is_published_year
from cases.deadlines import (
    deadline_close,
    deadline_start,
    deadlines_pause,
    deadlines_recompute,
    deadlines_resume,
)
from cases.models import CalendarOverride, CalendarYear, Case, Deadline, DeadlineStep
from tests.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db

D = datetime.date
REVIEW = DeadlineStep.REVIEW


@pytest.fixture(autouse=True)
def _2027_is_unpublished():
    assert not is_published_year(2027), "chinesecalendar publishes 2027 now: use a later year"


def _due_on(case: Case) -> datetime.date | None:
    return Case.objects.values_list("due_on", flat=True).get(pk=case.pk)


def _actions(case: Case) -> list[str]:
    return list(case.events.values_list("action", flat=True))


def test_a_deadline_over_the_national_day_holiday_falls_on_the_known_day(case, clerk):
    deadline = deadline_start(
        case=case, step=REVIEW, working_days=10, start=D(2026, 9, 24), by=clerk
    )

    assert deadline.due_on == D(2026, 10, 15)
    assert not deadline.provisional
    assert deadline.status == Deadline.Status.OPEN
    assert _due_on(case) == D(2026, 10, 15)
    started = case.events.get(action="deadline_started")
    assert started.actor == clerk
    assert "2026-10-15" in started.reason


def test_a_deadline_reaching_into_an_unpublished_year_is_provisional(case):
    deadline = deadline_start(case=case, step=REVIEW, working_days=5, start=D(2026, 12, 28))

    assert deadline.due_on == D(2027, 1, 5)
    assert deadline.provisional


def test_the_case_is_due_on_its_earliest_running_deadline(case):
    deadline_start(
        case=case, step=DeadlineStep.TRANSFER_TOTAL, working_days=15, start=D(2026, 9, 24)
    )
    deadline_start(
        case=case, step=DeadlineStep.TRANSFER_ORIGIN, working_days=10, start=D(2026, 9, 24)
    )

    assert _due_on(case) == D(2026, 10, 15)


def test_the_first_reminder_day_comes_from_the_region_policy(case, agency):
    RegionPolicy.objects.create(region=agency.region, reminder_days_before=5)

    deadline = deadline_start(case=case, step=REVIEW, working_days=10, start=D(2026, 9, 24))

    # Five working days before 15 October: 14, 13, 12, 10 (make-up Saturday), 9.
    assert deadline.next_sweep_on == D(2026, 10, 9)


def test_the_first_reminder_day_defaults_to_two_working_days_before(case):
    deadline = deadline_start(case=case, step=REVIEW, working_days=10, start=D(2026, 9, 24))

    assert deadline.next_sweep_on == D(2026, 10, 13)


def test_pausing_for_documents_keeps_the_working_days_left(case, clerk):
    deadline_start(case=case, step=REVIEW, working_days=10, start=D(2026, 9, 24))

    # 25 September is the Mid-Autumn holiday: one working day, the 28th, has gone by.
    paused = deadlines_pause(case=case, by=clerk, on=D(2026, 9, 28))

    deadline = Deadline.objects.get(case=case)
    assert paused == 1
    assert deadline.status == Deadline.Status.PAUSED
    assert deadline.remaining_days == 9
    assert deadline.paused_on == D(2026, 9, 28)
    assert deadline.next_sweep_on is None
    assert _due_on(case) is None
    assert _actions(case)[-1] == "clock_paused"


def test_resuming_counts_the_days_left_from_the_day_the_documents_came(case, clerk):
    deadline_start(case=case, step=REVIEW, working_days=10, start=D(2026, 9, 24))
    deadlines_pause(case=case, by=clerk, on=D(2026, 9, 28))

    resumed = deadlines_resume(case=case, by=clerk, on=D(2026, 10, 12))

    deadline = Deadline.objects.get(case=case)
    assert resumed == 1
    assert deadline.status == Deadline.Status.OPEN
    assert deadline.due_on == D(2026, 10, 23)
    assert deadline.paused_on is None
    assert deadline.next_sweep_on == D(2026, 10, 21)
    assert _due_on(case) == D(2026, 10, 23)
    assert _actions(case)[-1] == "clock_resumed"


def test_pausing_on_the_start_day_keeps_every_working_day(case, clerk):
    deadline_start(case=case, step=REVIEW, working_days=10, start=D(2026, 9, 24))

    deadlines_pause(case=case, by=clerk, on=D(2026, 9, 24))
    deadlines_resume(case=case, by=clerk, on=D(2026, 10, 9))

    assert Deadline.objects.get(case=case).due_on == D(2026, 10, 22)


def test_pausing_or_resuming_with_nothing_to_do_writes_no_history(case, clerk):
    before = case.events.count()

    assert deadlines_pause(case=case, by=clerk, on=D(2026, 9, 25)) == 0
    assert deadlines_resume(case=case, by=clerk, on=D(2026, 9, 25)) == 0

    assert case.events.count() == before


def test_closing_a_step_as_met_moves_the_case_to_its_next_deadline(case):
    deadline_start(
        case=case, step=DeadlineStep.TRANSFER_ORIGIN, working_days=10, start=D(2026, 9, 24)
    )
    deadline_start(
        case=case, step=DeadlineStep.TRANSFER_TOTAL, working_days=15, start=D(2026, 9, 24)
    )

    closed = deadline_close(case=case, step=DeadlineStep.TRANSFER_ORIGIN)

    origin = Deadline.objects.get(case=case, step=DeadlineStep.TRANSFER_ORIGIN)
    assert closed == 1
    assert origin.status == Deadline.Status.MET
    assert origin.met_at is not None
    assert origin.next_sweep_on is None
    assert _due_on(case) == Deadline.objects.get(case=case, step=DeadlineStep.TRANSFER_TOTAL).due_on


def test_closing_every_step_as_cancelled_leaves_the_case_without_a_due_date(case, clerk):
    deadline_start(case=case, step=REVIEW, working_days=10, start=D(2026, 9, 24))
    deadline_start(case=case, step=DeadlineStep.REFUND, working_days=7, start=D(2026, 9, 24))
    deadlines_pause(case=case, by=clerk, on=D(2026, 9, 25))

    closed = deadline_close(case=case, met=False)

    assert closed == 2
    assert set(Deadline.objects.values_list("status", flat=True)) == {"cancelled"}
    assert _due_on(case) is None


def test_closing_a_closed_step_changes_nothing(case):
    deadline_start(case=case, step=REVIEW, working_days=10, start=D(2026, 9, 24))
    deadline_close(case=case, step=REVIEW)
    met_at = Deadline.objects.get(case=case).met_at

    assert deadline_close(case=case, step=REVIEW, met=False) == 0

    assert Deadline.objects.get(case=case).met_at == met_at
    assert Deadline.objects.get(case=case).status == Deadline.Status.MET


def test_a_provisional_deadline_is_recomputed_when_its_year_is_edited(case):
    deadline_start(case=case, step=REVIEW, working_days=5, start=D(2026, 12, 28))
    CalendarOverride.objects.create(date=D(2027, 1, 4), is_working_day=False, note="holiday")

    changed = deadlines_recompute(years={2027})

    deadline = Deadline.objects.get(case=case)
    assert changed == 1
    assert deadline.due_on == D(2027, 1, 6)
    assert deadline.provisional
    assert _due_on(case) == D(2027, 1, 6)
    event = case.events.get(action="deadline_recomputed")
    assert event.actor is None
    assert event.actor_label == "system"
    assert "2027-01-05" in event.reason
    assert "2027-01-06" in event.reason


def test_a_recompute_with_nothing_changed_writes_no_history(case):
    deadline_start(case=case, step=REVIEW, working_days=10, start=D(2026, 9, 24))

    changed = deadlines_recompute(years={2026})

    assert changed == 0
    assert not case.events.filter(action="deadline_recomputed").exists()


def test_a_recompute_keeps_the_time_a_paused_clock_stood_still(case, clerk):
    deadline_start(case=case, step=REVIEW, working_days=10, start=D(2026, 12, 14))
    deadlines_pause(case=case, by=clerk, on=D(2026, 12, 15))
    deadlines_resume(case=case, by=clerk, on=D(2027, 1, 11))
    due_before = Deadline.objects.get(case=case).due_on
    CalendarOverride.objects.create(date=D(2027, 1, 13), is_working_day=False)

    deadlines_recompute(years={2027})

    # Nine days were left on resuming on 11 January; one more rest day moves it by one.
    assert due_before == D(2027, 1, 22)
    assert Deadline.objects.get(case=case).due_on == D(2027, 1, 25)


@pytest.mark.django_db(transaction=True)
def test_publishing_a_year_recomputes_its_provisional_deadlines_after_commit(person, agency):
    case = CaseFactory(person=person, agency=agency)
    deadline_start(case=case, step=REVIEW, working_days=5, start=D(2026, 12, 28))

    with transaction.atomic():
        CalendarOverride.objects.create(date=D(2027, 1, 1), is_working_day=False)
        CalendarOverride.objects.create(date=D(2027, 1, 4), is_working_day=False)
        CalendarYear.objects.create(year=2027, complete=True)

    deadline = Deadline.objects.get(case=case)
    assert deadline.due_on == D(2027, 1, 6)
    assert not deadline.provisional
    assert _due_on(case) == D(2027, 1, 6)
    assert case.events.filter(action="deadline_recomputed").count() == 1
