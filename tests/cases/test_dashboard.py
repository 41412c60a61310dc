"""The dashboard, the forecast page and the monthly report: the agency's figures in words and
charts, for the agency and one colleague; the team's figures for supervisors only."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.figures import figures_refresh
from cases.models import Case, Deadline
from cases.workflow import today
from tests.accounts.factories import InsuredPersonFactory
from tests.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _open(agency, *, due=None, **kwargs) -> Case:
    case = CaseFactory(person=InsuredPersonFactory(), agency=agency, **kwargs)
    if due is not None:
        Case.objects.filter(pk=case.pk).update(due_on=due)
    return case


def _met(case: Case, due: datetime.date) -> None:
    Deadline.objects.create(
        case=case,
        step="review",
        working_days=5,
        started_on=due - 7 * DAY,
        due_on=due,
        status=Deadline.Status.MET,
        met_at=timezone.now(),
    )


def test_the_dashboard_counts_open_work_due_soon_overdue_and_the_on_time_rate(
    client, clerk, agency, far_agency
):
    _open(agency, state="submitted", due=today() + 2 * DAY)
    _open(agency, state="submitted", due=today() - DAY)
    on_time = _open(agency, state="first_review")
    late = _open(agency, state="first_review", due=today() + 10 * DAY)
    _open(agency, kind="family_binding", state="active")  # a standing binding: no work
    closed = _open(agency, state="submitted")
    Case.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    _met(on_time, today() + DAY)
    _met(late, today() - 3 * DAY)
    _met(closed, today())
    _met(_open(far_agency, state="submitted"), today() - DAY)
    client.force_login(clerk)

    board = client.get(reverse("cases:dashboard")).context["board"]

    assert [(r.state, r.count) for r in board.open_by_state] == [
        ("first_review", 2),
        ("submitted", 2),
    ]
    assert (board.due_soon, board.overdue) == (1, 1)
    assert [(r.kind, r.met, r.on_time) for r in board.rates] == [("sample", 3, 2)]
    assert board.weeks[-1].filed == 6
    assert board.weeks[-1].closed == 1
    assert board.team == []  # a clerk sees no colleague's load


def test_the_page_draws_its_charts_as_inline_svg_without_style(client, supervisor, agency):
    _met(_open(agency, state="submitted", due=today() + 2 * DAY), today())
    client.force_login(supervisor)

    html = client.get(reverse("cases:dashboard")).content.decode()

    assert html.count('<svg class="portal-chart') == 3
    assert "style=" not in html.split("<main", 1)[-1]
    assert "<script>" not in html


def test_a_supervisor_sees_one_colleagues_figures(client, supervisor, clerk, colleague, agency):
    mine = _open(agency, state="submitted")
    _open(agency, state="submitted")
    Case.objects.filter(pk=mine.pk).update(assignee=clerk)
    client.force_login(supervisor)

    agency_board = client.get(reverse("cases:dashboard")).context["board"]
    clerk_board = client.get(reverse("cases:dashboard"), {"member": clerk.pk}).context["board"]

    assert agency_board.open_total == 2
    assert clerk_board.open_total == 1
    loads = {row.user_id: row.open for row in agency_board.team}
    assert (loads[clerk.pk], loads[colleague.pk]) == (1, 0)


def test_a_clerk_cannot_ask_for_a_colleagues_figures(client, clerk, colleague, agency):
    client.force_login(clerk)

    response = client.get(reverse("cases:dashboard"), {"member": colleague.pk})

    assert response.context["member"] is None


def test_the_dashboard_reads_as_many_queries_for_many_cases_as_for_few(client, supervisor, agency):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("cases:dashboard")).status_code == 200
        return len(captured.captured_queries)

    client.force_login(supervisor)
    _open(agency, state="submitted", due=today() + DAY)
    figures_refresh(agency_id=agency.pk)
    few = queries()
    for state in ("submitted", "first_review", "approved"):
        for _ in range(4):
            _met(_open(agency, state=state, due=today() - DAY), today())
    figures_refresh(agency_id=agency.pk)  # the beat's next refresh

    assert queries() == few


def test_the_forecast_page_explains_its_method_and_is_for_supervisors(client, supervisor, clerk):
    client.force_login(clerk)
    assert client.get(reverse("cases:forecast")).status_code == 403

    client.force_login(supervisor)
    response = client.get(
        reverse("cases:forecast"), {"reassigned": 1, "absent": clerk.pk, "absent_days": 3}
    )

    assert response.status_code == 200
    assert response.context["what_if"].absent_days == 3
    assert "first come, first served" in response.content.decode() or "先到先办" in (
        response.content.decode()
    )


def test_the_monthly_report_counts_a_month_by_kind_and_colleague(client, supervisor, clerk, agency):
    month = today().replace(day=1)
    on_time, late = _open(agency), _open(agency)
    Case.objects.filter(pk__in=[on_time.pk, late.pk]).update(assignee=clerk)
    _met(on_time, month + 27 * DAY)  # met today, due later this month: on time
    Deadline.objects.create(
        case=late,
        step="review",
        working_days=5,
        started_on=month,
        due_on=month,
        status=Deadline.Status.OPEN,
    )
    client.force_login(supervisor)

    report = client.get(reverse("cases:report"), {"month": f"{month:%Y-%m}"}).context["report"]

    row = report.by_kind[0]
    assert (row.filed, row.on_time, row.missed) == (2, 1, 1 if month < today() else 0)
    assert [(r.label, r.due) for r in report.by_staff] == [
        (clerk.get_full_name() or clerk.username, row.due)
    ]
