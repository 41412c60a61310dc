"""A supervisor's figures in the browser: the dashboard with its charts, the forecast with a
what-if, the monthly report; in Chinese and in English. Screenshots go to PORTAL_SCREENSHOTS
when it is set (they are for looking at, not committed)."""

from __future__ import annotations

import datetime
import os

import pytest
from django.utils import timezone

from cases.models import Case, Deadline
from cases.workflow import today
from tests.accounts.factories import AgencyFactory, InsuredPersonFactory, staff_user
from tests.browser.conftest import login
from tests.cases.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_a_supervisor_reads_the_dashboard_the_forecast_and_the_report(page):
    agency = AgencyFactory()
    supervisor = staff_user("supervisor", agency)
    clerk = staff_user("clerk", agency)
    for n in range(3):
        case = CaseFactory(person=InsuredPersonFactory(), agency=agency, state="submitted")
        Case.objects.filter(pk=case.pk).update(
            assignee=clerk, due_on=today() + datetime.timedelta(days=n)
        )
        Deadline.objects.create(
            case=case,
            step="review",
            working_days=5,
            started_on=today(),
            due_on=today() + datetime.timedelta(days=n + 1),
            status=Deadline.Status.MET if n == 0 else Deadline.Status.OPEN,
            met_at=timezone.now() if n == 0 else None,
        )

    login(page, supervisor.username, "Str0ng-pass")
    page.goto("/dashboard/")

    assert page.locator("svg.portal-chart").count() == 3
    assert page.locator("text=预计超期").first.is_visible()
    _shot(page, "dashboard-zh")
    page.click("text=完整预测与假设测算")
    page.fill("input[name=reassigned]", "1")
    page.click("button:has-text('重新测算')")
    assert "先到先办" in page.content()
    _shot(page, "forecast-zh")
    page.goto("/dashboard/report/")
    assert page.locator("h1", has_text="月度统计报表").is_visible()
    _shot(page, "report-zh")
    page.click("button[lang=en]")
    page.goto("/en/dashboard/")
    assert page.locator("h1", has_text="Dashboard").is_visible()
    _shot(page, "dashboard-en")
