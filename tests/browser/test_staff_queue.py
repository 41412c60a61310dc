"""A supervisor's morning in the browser (issue #15): the landing page puts the overdue case
first, the queue marks it 已超期 with its working days left, sorts by a column, and the
supervisor reassigns it to a colleague in bulk."""

from __future__ import annotations

import datetime
import os

import pytest

from cases.models import Case
from cases.workflow import today
from tests.accounts.factories import AgencyFactory, InsuredPersonFactory, staff_user
from tests.browser.conftest import login
from tests.cases.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _case(agency, days: int, name: str) -> Case:
    case = CaseFactory(person=InsuredPersonFactory(name=name), agency=agency, state="submitted")
    Case.objects.filter(pk=case.pk).update(due_on=today() + datetime.timedelta(days=days))
    return case


def test_a_supervisor_finds_the_overdue_case_first_and_reassigns_it(page):
    agency = AgencyFactory()
    supervisor = staff_user("supervisor", agency)
    clerk = staff_user("clerk", agency)
    clerk.last_name, clerk.first_name = "王", "芳"
    clerk.save(update_fields=["last_name", "first_name"])
    late = _case(agency, -7, "迟到")
    _case(agency, 20, "从容")

    login(page, supervisor.username, "Str0ng-pass")
    overdue_list = page.locator("#worklist-overdue")
    overdue_list.wait_for()
    assert late.reference in overdue_list.inner_text()

    page.goto("/queue/")
    first_row = page.locator("table.queue tbody tr").first
    assert late.reference in first_row.inner_text()
    assert "已超期" in first_row.inner_text()
    assert "overdue" in (first_row.get_attribute("class") or "")
    page.locator("thead a", has_text="参保人").click()
    page.wait_for_url("**sort=person**")

    page.check(f"#pick-{late.pk}")
    page.select_option("#bulk-assign select[name=assignee]", str(clerk.pk))
    with page.expect_navigation():
        page.click("#bulk-assign button[type=submit]")

    assert Case.objects.get(pk=late.pk).assignee_id == clerk.pk
    assert "王芳" in page.locator(f"tr[data-case='{late.pk}']").inner_text()
    if shots := os.environ.get("PORTAL_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/queue-supervisor.png", full_page=True)
