"""The forecast read from the database: a constructed history whose team pace makes exactly
these cases late.

On Monday 2026-11-16 the 20 working days before it run from Monday 2026-10-19 to Friday
2026-11-13. The two clerks took 10 steps out of "submitted" in them (5 each): half a step per
working day, so the k-th case in line is done after 2k working days."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.calendar import current_calendar
from cases.forecast import WhatIf
from cases.forecast_inputs import forecast_for_agency, stage_paces, working_day_before
from cases.models import Case, CaseEvent, Deadline, DeadlineStep
from tests.cases.factories import SAMPLE_KIND, CaseFactory

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 11, 16)
ZONE = datetime.timezone(datetime.timedelta(hours=8))


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=ZONE)


def _step_taken(case: Case, by, day: datetime.date) -> None:
    with mock.patch("django.utils.timezone.now", return_value=_at(day)):
        CaseEvent.objects.create(
            case=case,
            action="first_review",
            actor=by,
            from_state="submitted",
            to_state="first_reviewed",
        )


def _waiting(agency, due_on, *, step=DeadlineStep.REVIEW, **kwargs) -> Case:
    case = CaseFactory(agency=agency, state="submitted", **kwargs)
    Deadline.objects.create(
        case=case,
        step=step,
        working_days=15,
        started_on=ON - datetime.timedelta(days=10),
        due_on=due_on,
    )
    return case


@pytest.fixture
def team_history(agency, far_agency, clerk, colleague, outsider):
    done = CaseFactory(agency=agency, state="first_reviewed")
    for day in range(19, 24):  # Monday to Friday, the first week of the window
        _step_taken(done, clerk, datetime.date(2026, 10, day))
        _step_taken(done, colleague, datetime.date(2026, 11, day - 10))  # its last week
    _step_taken(done, clerk, datetime.date(2026, 10, 16))  # before the window
    _step_taken(done, outsider, datetime.date(2026, 11, 2))  # another agency's staff
    _step_taken(done, clerk, ON)  # today: not a whole day yet


def test_the_window_is_the_twenty_working_days_before_today():
    assert working_day_before(current_calendar(), ON, 20) == datetime.date(2026, 10, 19)


def test_the_pace_counts_the_agencys_steps_in_the_window_per_person(
    team_history, agency, clerk, colleague
):
    paces = stage_paces(agency.pk, ON, current_calendar())

    pace = paces[(SAMPLE_KIND, "submitted")]
    assert (pace.done, dict(pace.by_staff)) == (10, {clerk.pk: 5, colleague.pk: 5})


def test_the_forecast_names_the_cases_their_turn_reaches_too_late(
    team_history, agency, far_agency, clerk
):
    _waiting(agency, datetime.date(2026, 11, 19))  # 3 working days left, needs 2
    second = _waiting(agency, datetime.date(2026, 11, 19))  # 3 left, needs 4
    _waiting(agency, datetime.date(2026, 11, 30))  # 10 left, needs 6
    fourth = _waiting(agency, datetime.date(2026, 11, 23))  # 5 left, needs 8
    # Not this agency's stage: another agency's case, and the whole transfer's limit.
    _waiting(far_agency, datetime.date(2026, 11, 17))
    _waiting(agency, datetime.date(2026, 11, 17), step=DeadlineStep.TRANSFER_TOTAL)

    result = forecast_for_agency(agency.pk, on=ON)

    assert [(b.case.case_id, b.breaches_on, b.done_on) for b in result.breaches] == [
        (second.pk, datetime.date(2026, 11, 19), datetime.date(2026, 11, 20)),
        (fourth.pk, datetime.date(2026, 11, 23), datetime.date(2026, 11, 26)),
    ]


def test_the_destinations_limit_is_in_the_destinations_queue(team_history, agency, far_agency):
    incoming = _waiting(
        far_agency,
        datetime.date(2026, 11, 17),
        step=DeadlineStep.TRANSFER_DESTINATION,
        other_agency=agency,
    )

    here = forecast_for_agency(agency.pk, on=ON)
    there = forecast_for_agency(far_agency.pk, on=ON)

    # Here: first in line, 2 working days needed, 1 left. There: not their step.
    assert [b.case.case_id for b in here.breaches] == [incoming.pk]
    assert there.breaches == []


def test_a_clerk_away_four_days_makes_the_first_case_late_too(team_history, agency, clerk):
    first = _waiting(agency, datetime.date(2026, 11, 19))
    _waiting(agency, datetime.date(2026, 11, 30))

    result = forecast_for_agency(
        agency.pk, on=ON, what_if=WhatIf(absent_user_id=clerk.pk, absent_days=4)
    )

    assert [b.case.case_id for b in result.breaches] == [first.pk]


def test_the_forecast_reads_two_statements_whatever_the_queue(team_history, agency):
    for _ in range(5):
        _waiting(agency, datetime.date(2026, 11, 19))
    current_calendar().load(2026, 2027)  # the calendar is read once per process

    with CaptureQueriesContext(connection) as queries:
        forecast_for_agency(agency.pk, on=ON)

    assert len(queries.captured_queries) == 2
