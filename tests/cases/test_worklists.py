"""Each role lands on its own work (issue #15): the clerk on cases to take in and their own,
the reviewer on second reviews they may do, the supervisor on overdue and nearly due steps,
escalations, payments to confirm and the team's load, the auditor on a read-only search."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from cases.history import case_record
from cases.models import Case
from cases.workflow import today
from tests.accounts.factories import InsuredPersonFactory
from tests.cases.conftest import staff
from tests.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db


def _open(agency, *, state="submitted", due=None, assignee=None, **kwargs) -> Case:
    case = CaseFactory(person=InsuredPersonFactory(), agency=agency, state=state, **kwargs)
    Case.objects.filter(pk=case.pk).update(due_on=due, assignee=assignee)
    case.refresh_from_db()
    return case


def _lists(client, user) -> dict[str, list[str]]:
    client.force_login(user)
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 200
    landing = response.context["landing"]
    return {wl.key: [row.case.reference for row in wl.rows] for wl in landing.lists}


def test_a_clerk_lands_on_cases_to_take_in_and_their_own(client, agency, clerk, colleague):
    new = _open(agency, state="applied")
    own = _open(agency, state="accepted", assignee=clerk)
    _open(agency, state="accepted", assignee=colleague)

    lists = _lists(client, clerk)

    assert lists == {"intake": [new.reference], "mine": [own.reference]}


def test_a_destination_clerk_lands_on_a_transfer_the_origin_sent(client, agency, far_agency):
    clerk_there = staff("clerk", far_agency, "far-clerk")
    sent = _open(agency, state="transferred_out", other_agency=far_agency)
    Case.objects.filter(pk=sent.pk).update(acting_agency=far_agency)

    lists = _lists(client, clerk_there)

    assert lists == {"intake": [sent.reference], "mine": []}


def test_a_reviewer_lands_on_second_reviews_never_on_one_they_reviewed_first(
    client, agency, clerk, reviewer
):
    waiting = _open(agency, state="first_reviewed")
    case_record(case=waiting, action="first_review", by=clerk)
    their_own = _open(agency, state="first_reviewed")
    case_record(case=their_own, action="first_review", by=reviewer)
    _open(agency, state="submitted")

    lists = _lists(client, reviewer)

    assert lists == {"second_review": [waiting.reference]}


def test_a_supervisor_sees_overdue_first_then_due_soon_escalations_and_payments(
    client, agency, supervisor, clerk
):
    day = today()
    late = _open(agency, due=day - datetime.timedelta(days=3), assignee=clerk)
    soon = _open(agency, due=day)
    _open(agency, due=day + datetime.timedelta(days=30))
    escalated = _open(agency, due=day - datetime.timedelta(days=1))
    case_record(case=escalated, action="escalated", by=None)
    prepared = _open(agency, state="payout_prepared")
    case_record(case=prepared, action="pay", by=clerk, to_state="payout_prepared")
    mine = _open(agency, state="payout_prepared")
    case_record(case=mine, action="pay", by=supervisor, to_state="payout_prepared")

    lists = _lists(client, supervisor)

    assert lists["overdue"] == [late.reference, escalated.reference]
    assert lists["due_soon"] == [soon.reference]
    assert lists["escalations"] == [escalated.reference]
    assert lists["payouts"] == [prepared.reference]


def test_the_supervisor_sees_each_colleagues_load(client, agency, supervisor, clerk, colleague):
    day = today()
    _open(agency, assignee=clerk, due=day - datetime.timedelta(days=2))
    _open(agency, assignee=clerk)
    _open(agency, assignee=colleague)
    client.force_login(supervisor)

    team = client.get(reverse("accounts:home")).context["landing"].team

    loads = {load.user_id: (load.open, load.overdue) for load in team}
    assert loads[clerk.pk] == (2, 1)
    assert loads[colleague.pk] == (1, 0)
    assert loads[supervisor.pk] == (0, 0)


def test_the_escalations_page_is_the_supervisors(client, agency, supervisor, clerk):
    escalated = _open(agency, due=today() - datetime.timedelta(days=1))
    case_record(case=escalated, action="escalated", by=None)
    _open(agency)

    client.force_login(clerk)
    as_clerk = client.get(reverse("cases:escalations"))
    client.force_login(supervisor)
    as_supervisor = client.get(reverse("cases:escalations"))

    assert as_clerk.status_code == 403
    refs = [row.case.reference for row in as_supervisor.context["rows"]]
    assert refs == [escalated.reference]
    assert "已超期" in as_supervisor.content.decode() or "Overdue" in as_supervisor.content.decode()


def test_an_auditor_lands_on_the_read_only_search(client, agency, auditor, person):
    case = _open(agency, state="closed_for_test")
    Case.objects.filter(pk=case.pk).update(person=person)
    client.force_login(auditor)

    home = client.get(reverse("accounts:home"))
    by_reference = client.get(reverse("cases:search"), {"q": case.reference})
    by_id_number = client.post(reverse("cases:search"), {"q": person.id_number})

    assert home.context["landing"].role == "auditor"
    assert home.context["landing"].lists == []
    assert reverse("cases:search") in home.content.decode()
    assert [r.case.reference for r in by_reference.context["rows"]] == [case.reference]
    assert [r.case.reference for r in by_id_number.context["rows"]] == [case.reference]
    assert 'name="action"' not in by_reference.content.decode()


def test_the_search_finds_nothing_of_another_agency(client, agency, far_agency, auditor):
    elsewhere = _open(far_agency)
    client.force_login(auditor)

    response = client.get(reverse("cases:search"), {"q": elsewhere.reference})

    assert response.context["rows"] == []


def test_the_landing_page_reads_a_fixed_number_of_queries(
    client, agency, supervisor, clerk, django_assert_max_num_queries
):
    for i in range(3):
        _open(agency, due=today() - datetime.timedelta(days=i + 1), assignee=clerk)
    client.force_login(supervisor)
    client.get(reverse("accounts:home"))
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("accounts:home"))
    for i in range(12):
        _open(agency, due=today() - datetime.timedelta(days=i + 1), assignee=clerk)

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("accounts:home"))


def test_staff_of_another_role_mix_see_no_other_agency_in_lists(client, far_agency, agency):
    outsider_clerk = staff("clerk", far_agency, "CD-clerk")
    _open(agency, state="applied")

    lists = _lists(client, outsider_clerk)

    assert lists == {"intake": [], "mine": []}


def test_an_overdue_case_says_by_how_many_working_days_never_a_negative_number(
    client, agency, supervisor
):
    late = _open(agency, due=today() - datetime.timedelta(days=10))
    client.force_login(supervisor)

    home = client.get(reverse("accounts:home"))

    row = home.context["landing"].lists[0].rows[0]
    assert row.case == late
    assert row.days_overdue > 0
    cell = home.content.decode().split('class="days-left"', 1)[1].split("</td>", 1)[0]
    assert f"{row.days_overdue} " in cell
    assert not re.search(r"-\d", cell)
