"""The work queue page reads its rows through `cases.queue.queue_rows` (issue #7, item 2.1;
issue #15): the same cases in the same order as `work_queue`, page after page, only the cases
whose move is this agency's, and the same few queries on every page whatever the agency's
history."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.queue import queue_rows
from cases.selectors import work_queue
from tests.accounts.factories import AgencyFactory, staff_user
from tests.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def here():
    return AgencyFactory(code="HERE")


@pytest.fixture
def there():
    return AgencyFactory(code="THERE")


@pytest.fixture
def clerk(here):
    return staff_user("clerk", here)


def _open_cases(agency, count, *, other=None, state="submitted", acting=None):
    cases = []
    for i in range(count):
        case = CaseFactory(agency=agency, other_agency=other, state=state)
        if acting is not None:
            Case.objects.filter(pk=case.pk).update(acting_agency=acting)
        # Deadlines in a few days, some none, and filing times out of id order, so that the
        # queue order is neither the filing order nor the id order.
        due = None if i % 4 == 0 else D(2026, 12, 1) + datetime.timedelta(days=i % 5)
        filed = timezone.now() - datetime.timedelta(hours=(i * 37) % 11)
        Case.objects.filter(pk=case.pk).update(due_on=due, created_at=filed)
        cases.append(case)
    return cases


def _close(cases):
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(closed_at=timezone.now())


def _pages(user, **filters):
    rows = queue_rows(user, filters=filters)
    return [case.pk for start in range(0, rows.count(), 25) for case in rows[start : start + 25]]


def _filters(**selector_filters):
    """The queue page's filters for the selector's arguments."""
    out = dict(selector_filters)
    if "overdue_only" in out:
        out["overdue"] = out.pop("overdue_only")
    if "state" in out and "kind" in out:
        out["state"] = f"{out['kind']}:{out['state']}"
    return out


def test_the_pages_hold_the_work_queue_in_its_order(clerk, here, there):
    _open_cases(here, 40)
    _open_cases(there, 6, other=here, acting=here)  # transfers arrived here
    _open_cases(there, 3, other=here)  # transfers not yet sent here: elsewhere
    _open_cases(here, 4, other=there)  # transfers leaving here, still ours
    _open_cases(here, 2, other=there, acting=there)  # sent to the destination: elsewhere
    _open_cases(there, 5)  # another agency's own cases
    _close(_open_cases(here, 7))

    paged = _pages(clerk)

    assert paged == [case.pk for case in work_queue(clerk)]
    assert len(paged) == 50
    assert queue_rows(clerk, which="elsewhere").count() == 5


def test_the_filters_are_the_work_queue_filters(clerk, here, there):
    _open_cases(here, 12)
    _open_cases(here, 5, state="waiting")
    _open_cases(there, 3, other=here, state="waiting", acting=here)
    mine = _open_cases(here, 3, state="waiting")
    Case.objects.filter(pk__in=[c.pk for c in mine]).update(assignee=clerk)

    for filters in (
        {"state": "waiting"},
        {"assignee": "me"},
        {"assignee": "unassigned", "state": "waiting"},
        {"due_before": D(2026, 12, 2)},
        {"kind": "sample", "state": "submitted"},
    ):
        expected = [c.pk for c in work_queue(clerk, **filters)]
        assert _pages(clerk, **_filters(**filters)) == expected, filters


def test_someone_who_may_not_see_cases_gets_an_empty_queue(here):
    sysadmin = staff_user("sysadmin", here)
    _open_cases(here, 3)

    rows = queue_rows(sysadmin)

    assert rows.count() == 0
    assert list(rows[0:25]) == []


def _queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("cases:queue"), params)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_a_deep_page_costs_the_queries_of_the_first_whatever_the_history(
    client, clerk, here, there
):
    _open_cases(here, 60)
    _open_cases(there, 5, other=here, acting=here)
    client.force_login(clerk)
    first, last = _queries(client), _queries(client, page=3)
    _close(_open_cases(here, 30))

    after_history = _queries(client, page=3)

    assert first == last == after_history
