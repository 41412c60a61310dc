from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from cases.assignment import assignee_at, case_assign
from cases.errors import CaseError
from cases.history import case_record
from cases.models import Case
from cases.workflow import require_four_eyes
from tests.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db


def _assignee(case: Case):
    return Case.objects.get(pk=case.pk).assignee


def test_a_clerk_claims_an_unassigned_case(case, clerk):
    case_assign(case=case, assignee=clerk, by=clerk)

    assert _assignee(case) == clerk
    event = case.events.get(action="assigned")
    assert event.actor == clerk
    assert clerk.username in event.reason


def test_a_supervisor_gives_the_case_to_a_colleague(case, supervisor, colleague):
    case_assign(case=case, assignee=colleague, by=supervisor)

    assert _assignee(case) == colleague


def test_a_supervisor_takes_a_case_from_one_clerk_to_another(case, supervisor, clerk, colleague):
    case_assign(case=case, assignee=clerk, by=clerk)

    case_assign(case=case, assignee=colleague, by=supervisor)

    assert _assignee(case) == colleague
    assert case.events.filter(action="assigned").count() == 2


def test_a_clerk_cannot_give_a_case_to_someone_else(case, clerk, colleague):
    with pytest.raises(CaseError) as refused:
        case_assign(case=case, assignee=colleague, by=clerk)

    assert refused.value.code == "forbidden"
    assert _assignee(case) is None


def test_a_clerk_cannot_take_a_case_a_colleague_holds(case, clerk, colleague):
    case_assign(case=case, assignee=colleague, by=colleague)

    with pytest.raises(CaseError) as refused:
        case_assign(case=case, assignee=clerk, by=clerk)

    assert refused.value.code == "forbidden"
    assert _assignee(case) == colleague


def test_a_clerk_may_hand_back_their_own_case(case, clerk):
    case_assign(case=case, assignee=clerk, by=clerk)

    case_assign(case=case, assignee=None, by=clerk)

    assert _assignee(case) is None


def test_a_clerk_cannot_take_a_colleague_off_a_case(case, clerk, colleague):
    case_assign(case=case, assignee=colleague, by=colleague)

    with pytest.raises(CaseError):
        case_assign(case=case, assignee=None, by=clerk)

    assert _assignee(case) == colleague


def test_the_assignee_must_work_at_one_of_the_cases_agencies(case, supervisor, outsider):
    with pytest.raises(CaseError) as refused:
        case_assign(case=case, assignee=outsider, by=supervisor)

    assert refused.value.code == "bad_assignee"


def test_an_applicant_can_never_be_the_assignee(case, supervisor, applicant):
    with pytest.raises(CaseError) as refused:
        case_assign(case=case, assignee=applicant, by=supervisor)

    assert refused.value.code == "bad_assignee"
    assert _assignee(case) is None


def test_an_auditor_decides_nothing_so_gets_no_case(case, supervisor, auditor):
    with pytest.raises(CaseError) as refused:
        case_assign(case=case, assignee=auditor, by=supervisor)

    assert refused.value.code == "bad_assignee"


def test_staff_of_another_agency_cannot_assign(case, outsider):
    with pytest.raises(CaseError):
        case_assign(case=case, assignee=outsider, by=outsider)

    assert _assignee(case) is None


def test_a_transfer_may_go_to_staff_of_the_destination(person, agency, far_agency, outsider):
    transfer = CaseFactory(person=person, agency=agency, other_agency=far_agency)

    case_assign(case=transfer, assignee=outsider, by=outsider)

    reloaded = Case.objects.get(pk=transfer.pk)
    assert reloaded.other_assignee == outsider
    assert reloaded.assignee is None  # the origin's end is held by nobody yet


def test_each_end_of_a_transfer_holds_it_on_its_own(person, agency, far_agency, clerk, outsider):
    transfer = CaseFactory(person=person, agency=agency, other_agency=far_agency)
    case_assign(case=transfer, assignee=clerk, by=clerk)

    case_assign(case=transfer, assignee=outsider, by=outsider)

    reloaded = Case.objects.get(pk=transfer.pk)
    assert assignee_at(reloaded, agency.pk) == clerk
    assert assignee_at(reloaded, far_agency.pk) == outsider


def test_a_supervisor_cannot_give_a_case_to_the_other_agencys_staff(
    person, agency, far_agency, supervisor, outsider
):
    transfer = CaseFactory(person=person, agency=agency, other_agency=far_agency)

    with pytest.raises(CaseError) as refused:
        case_assign(case=transfer, assignee=outsider, by=supervisor)

    assert refused.value.code == "other_agency"
    assert Case.objects.get(pk=transfer.pk).other_assignee is None


def test_assigning_to_the_current_assignee_writes_nothing(case, clerk):
    case_assign(case=case, assignee=clerk, by=clerk)

    case_assign(case=case, assignee=clerk, by=clerk)

    assert case.events.filter(action="assigned").count() == 1


def test_the_second_review_must_be_by_someone_else(case, clerk, reviewer):
    case_record(case=case, action="first_review", by=clerk)

    with pytest.raises(CaseError) as refused:
        require_four_eyes(case=case, by=clerk, first_actions=["first_review"])
    require_four_eyes(case=case, by=reviewer, first_actions=["first_review"])

    assert refused.value.code == "four_eyes"


def test_four_eyes_looks_only_at_the_named_first_actions_of_this_case(case, clerk, person, agency):
    other = CaseFactory(person=person, agency=agency)
    case_record(case=other, action="first_review", by=clerk)
    case_record(case=case, action="note", by=clerk)

    require_four_eyes(case=case, by=clerk, first_actions=["first_review"])
    require_four_eyes(case=case, by=None, first_actions=["first_review"])


# --- the assign page ----------------------------------------------------------------------


def _post(client, case, data=None):
    return client.post(reverse("cases:assign", args=[case.pk]), data or {})


def test_a_clerk_claims_a_case_from_its_page(client, case, clerk, case_page):
    client.force_login(clerk)

    response = _post(client, case)

    assert response.status_code == 302
    assert response.url == case.get_absolute_url()
    assert _assignee(case) == clerk


def test_a_supervisor_assigns_a_colleague_from_the_page(
    client, case, supervisor, colleague, case_page
):
    client.force_login(supervisor)

    _post(client, case, {"assignee": colleague.pk})

    assert _assignee(case) == colleague


def test_a_refused_assignment_is_a_message_not_an_error(client, case, clerk, colleague, case_page):
    client.force_login(clerk)

    response = _post(client, case, {"assignee": colleague.pk})

    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert _assignee(case) is None


@pytest.mark.parametrize("raw", ["nobody", "999999"])
def test_an_unknown_colleague_is_a_message(client, case, supervisor, raw, case_page):
    client.force_login(supervisor)

    response = _post(client, case, {"assignee": raw})

    assert response.status_code == 302
    assert _assignee(case) is None


@pytest.mark.parametrize("who", ["applicant", "outsider", "stranger"])
def test_others_get_not_found(client, case, who, request):
    client.force_login(request.getfixturevalue(who))

    assert _post(client, case).status_code == 404
    assert _assignee(case) is None


def test_an_anonymous_visitor_is_sent_to_log_in(client, case):
    response = _post(client, case)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_assigning_needs_a_post(client, case, clerk):
    client.force_login(clerk)

    assert client.get(reverse("cases:assign", args=[case.pk])).status_code == 405


def test_a_supervisor_of_another_agency_cannot_assign_here(case, outsider, clerk):
    with pytest.raises(CaseError) as refused:
        case_assign(case=case, assignee=clerk, by=outsider)

    assert refused.value.code == "forbidden"
    assert _assignee(case) is None


def test_an_inactive_colleague_gets_no_case(case, supervisor, colleague):
    colleague.is_active = False
    colleague.save(update_fields=["is_active"])

    with pytest.raises(CaseError):
        case_assign(case=case, assignee=colleague, by=supervisor)
