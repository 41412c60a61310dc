"""The stored figures (`cases.figures`): the refresh stores what the live computation gives,
a page recomputes missing or stale figures, says when they were computed, and reads the same
number of queries however many cases the agency holds."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import cases.tasks
from cases.calendar import current_calendar
from cases.dashboard import board_for
from cases.figures import (
    STALE_AFTER,
    baseline_of,
    board_of,
    figures_current,
    figures_refresh,
    figures_refresh_many,
    forecast_inputs_of,
    month_firsts,
    report_of,
)
from cases.forecast_inputs import forecast_for_agency, queued_cases, stage_paces
from cases.models import AgencyFigures, Case, CaseEvent, Deadline, DeadlineStep
from cases.monthly import monthly_report
from cases.workflow import today
from tests.accounts.factories import InsuredPersonFactory
from tests.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _case(agency, *, assignee=None, due=None, state="submitted", **kwargs) -> Case:
    case = CaseFactory(person=InsuredPersonFactory(), agency=agency, state=state, **kwargs)
    Case.objects.filter(pk=case.pk).update(assignee=assignee, due_on=due)
    return case


def _deadline(case: Case, due: datetime.date, *, met: bool = False, days_ago: int = 0) -> None:
    Deadline.objects.create(
        case=case,
        step=DeadlineStep.REVIEW,
        working_days=5,
        started_on=due - 7 * DAY,
        due_on=due,
        status=Deadline.Status.MET if met else Deadline.Status.OPEN,
        met_at=timezone.now() - days_ago * DAY if met else None,
    )


def _step(case: Case, by, days_ago: int) -> None:
    # History is append-only (a trigger refuses updates): the step is written in the past.
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - days_ago * DAY):
        CaseEvent.objects.create(
            case=case,
            action="first_review",
            actor=by,
            from_state="submitted",
            to_state="first_review",
        )


@pytest.fixture
def world(agency, far_agency, clerk, colleague, supervisor, outsider):
    """Cases of the agency assigned to two clerks and to no one, met and running limits,
    a transfer from another agency, steps taken in the last weeks, a closed case."""
    on = today()
    for n in range(4):
        mine = _case(agency, assignee=clerk, due=on + n * DAY)
        _deadline(mine, on + (n - 1) * DAY, met=n % 2 == 0, days_ago=n)
        _deadline(_case(agency, assignee=colleague, due=on - n * DAY), on + n * DAY)
        _step(mine, clerk, days_ago=n + 1)
        _step(mine, colleague, days_ago=2 * n + 3)
    _deadline(_case(agency, state="first_review"), on - 2 * DAY)
    _case(agency, kind="family_binding", state="active", assignee=clerk)
    incoming = _case(far_agency, other_agency=agency, assignee=outsider, due=on + DAY)
    _deadline(incoming, on + 3 * DAY, met=True)
    closed = _case(agency, assignee=clerk)
    Case.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    _deadline(closed, on.replace(day=1), met=True, days_ago=1)
    return agency


def test_the_refresh_stores_the_figures_the_live_computation_gives(
    world, far_agency, clerk, colleague, outsider, supervisor
):
    figures_refresh_many([world.pk, far_agency.pk])  # both agencies read together

    row = AgencyFigures.objects.get(agency=world)
    far = AgencyFigures.objects.get(agency=far_agency)
    assert board_of(far, None, with_team=True) == board_for(far_agency.pk, with_team=True)
    assert board_of(far, outsider.pk, with_team=False) == board_for(far_agency.pk, member=outsider)
    for first in month_firsts(today()):
        assert report_of(far, first) == monthly_report(far_agency.pk, first)
    assert board_of(row, None, with_team=True) == board_for(world.pk, with_team=True)
    assert board_of(row, None, with_team=False) == board_for(world.pk)
    for member in (clerk, colleague, outsider, supervisor):
        assert board_of(row, member.pk, with_team=False) == board_for(world.pk, member=member)
    assert {t.user_id: t.open for t in board_of(row, None, with_team=True).team}[clerk.pk] == 4
    on, cal = today(), current_calendar()
    queued, paces = forecast_inputs_of(row)
    assert sorted(queued, key=repr) == sorted(queued_cases(world.pk, on, cal), key=repr)
    assert paces == stage_paces(world.pk, on, cal)
    baseline = forecast_for_agency(world.pk).breaches
    assert baseline_of(row) == (len(baseline), baseline[:5])
    for first in month_firsts(on):
        assert report_of(row, first) == monthly_report(world.pk, first)


def test_a_page_finding_no_figures_computes_and_stores_them(client, supervisor, agency):
    _case(agency, due=today())
    client.force_login(supervisor)

    board = client.get(reverse("cases:dashboard")).context["board"]

    assert board.open_total == 1
    assert AgencyFigures.objects.filter(agency=agency).exists()


def test_fresh_figures_are_shown_as_computed(client, supervisor, agency, settings):
    figures_refresh(agency_id=agency.pk)
    _case(agency, due=today())
    client.force_login(supervisor)

    board = client.get(reverse("cases:dashboard")).context["board"]

    assert board.open_total == 0  # until the next refresh


@pytest.mark.parametrize("age", ["old", "yesterday"])
def test_stale_figures_are_computed_again(client, supervisor, agency, settings, age):
    figures_refresh(agency_id=agency.pk)
    if age == "old":
        too_old = timezone.now() - datetime.timedelta(
            seconds=STALE_AFTER * settings.FIGURES_REFRESH_SECONDS + 1
        )
        AgencyFigures.objects.update(computed_at=too_old)
    else:
        AgencyFigures.objects.update(on=today() - DAY)
    _case(agency, due=today())
    client.force_login(supervisor)

    board = client.get(reverse("cases:dashboard")).context["board"]

    assert board.open_total == 1
    assert figures_current(agency.pk, "board").computed_at > timezone.now() - DAY


def test_the_pages_say_when_the_figures_were_computed(client, supervisor, agency, settings):
    settings.FIGURES_REFRESH_SECONDS = 600
    row = figures_refresh(agency_id=agency.pk)
    AgencyFigures.objects.update(computed_at=row.computed_at.replace(second=0, microsecond=0))
    shown = timezone.localtime(row.computed_at).strftime("%H:%M")
    client.force_login(supervisor)

    for name in ("cases:dashboard", "cases:forecast", "cases:report"):
        html = client.get(reverse(name)).content.decode()

        assert f"数据截至 {shown}，每 10 分钟更新一次。" in html, name


def test_the_beat_task_refreshes_every_agency(agency, far_agency):
    _case(agency, due=today())

    refreshed = cases.tasks.refresh_figures()

    assert refreshed == 2
    assert figures_current(agency.pk, "board").board["open"] == [["sample", "submitted", 1]]


def _queries(client, name: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(name), params or {}).status_code == 200
    return len(captured.captured_queries)


def _more_cases(agency, clerk, each: int) -> None:
    for state in ("submitted", "first_review", "approved"):
        for n in range(each):
            case = _case(agency, assignee=clerk, state=state, due=today() - n * DAY)
            _deadline(case, today() + n * DAY, met=n % 2 == 0)
            _step(case, clerk, days_ago=n + 1)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("cases:dashboard", {}),
        ("cases:dashboard", {"member": "clerk"}),
        ("cases:forecast", {"reassigned": 2}),
        ("cases:report", {}),
    ],
)
def test_a_page_reads_as_many_queries_for_many_cases_as_for_few(
    client, supervisor, clerk, agency, name, params
):
    params = {k: clerk.pk if v == "clerk" else v for k, v in params.items()}
    client.force_login(supervisor)
    _more_cases(agency, clerk, 1)
    figures_refresh(agency_id=agency.pk)
    few = _queries(client, name, params)
    _more_cases(agency, clerk, 4)
    figures_refresh(agency_id=agency.pk)

    assert _queries(client, name, params) == few


def test_computing_the_figures_reads_as_many_queries_for_many_cases_as_for_few(
    client, supervisor, clerk, agency, monkeypatch
):
    # The calendar checks its stamp once a second besides once per request: not counted here.
    monkeypatch.setattr("cases.calendar.CHECK_EVERY_SECONDS", 3600.0)
    client.force_login(supervisor)
    _more_cases(agency, clerk, 1)
    # A process reads each year of the calendar once, when a date in it is first asked for
    # (a long forecast reaches into next year): not a cost of the figures.
    current_calendar().load(today().year - 1, today().year + 2)
    few = _queries(client, "cases:dashboard")
    _more_cases(agency, clerk, 4)
    AgencyFigures.objects.all().delete()

    assert _queries(client, "cases:dashboard") == few
