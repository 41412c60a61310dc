from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.idnumbers import mask_id_number
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["supervisor", "auditor"])
def test_supervisors_and_auditors_export_the_queue_with_masked_id_numbers(
    client, case, who, request
):
    user = request.getfixturevalue(who)
    client.force_login(user)

    response = client.get(reverse("cases:export"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    assert case.reference in body
    assert case.person.id_number not in body
    assert mask_id_number(case.person.id_number) in body
    assert AuditEvent.objects.get(action="export").user == user


@pytest.mark.parametrize("who", ["clerk", "reviewer"])
def test_clerks_and_reviewers_may_not_export(client, case, who, request):
    client.force_login(request.getfixturevalue(who))

    response = client.get(reverse("cases:export"))

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_an_applicant_gets_not_found(client, case, applicant):
    client.force_login(applicant)

    assert client.get(reverse("cases:export")).status_code == 404


def test_an_outsider_exports_nothing_of_another_agency(client, case, far_agency):
    from tests.cases.conftest import staff

    client.force_login(staff("supervisor", far_agency, "far-supervisor"))

    body = client.get(reverse("cases:export")).content.decode("utf-8-sig")

    assert case.reference not in body


def test_the_admin_finds_a_case_by_the_full_id_number_of_its_person(client, case):
    from tests.accounts.factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)

    found = client.get(reverse("admin:cases_case_changelist"), {"q": case.person.id_number})
    partial = client.get(reverse("admin:cases_case_changelist"), {"q": case.person.id_number[:10]})

    assert case.reference in found.content.decode()
    assert partial.status_code == 200
    assert case.reference not in partial.content.decode()


def test_the_menu_offers_the_queue_to_case_staff_but_not_to_a_system_administrator(
    client, clerk, agency
):
    from tests.cases.conftest import staff

    sysadmin = staff("sysadmin", agency, "agency-sysadmin")

    client.force_login(clerk)
    as_clerk = client.get(reverse("accounts:home")).content.decode()
    client.force_login(sysadmin)
    as_sysadmin = client.get(reverse("accounts:home")).content.decode()

    assert reverse("cases:queue") in as_clerk
    assert reverse("cases:queue") not in as_sysadmin


def test_the_export_keeps_every_filter_of_the_queue(client, case, supervisor, colleague):
    from cases.models import Case

    Case.objects.filter(pk=case.pk).update(assignee=colleague)
    client.force_login(supervisor)

    theirs = client.get(reverse("cases:export"), {"assignee": str(colleague.pk)})
    unassigned = client.get(reverse("cases:export"), {"assignee": "unassigned"})

    assert case.reference in theirs.content.decode("utf-8-sig")
    assert case.reference not in unassigned.content.decode("utf-8-sig")
    logged = AuditEvent.objects.filter(action="export").order_by("pk").last()
    assert logged is not None
    assert '"assignee": "unassigned"' in logged.detail


def test_the_queue_exports_as_excel_with_masked_numbers_unless_full_ones_are_asked(
    client, case, supervisor, clerk
):
    import io

    from openpyxl import load_workbook

    client.force_login(supervisor)

    masked = client.get(reverse("cases:export_xlsx"))
    full = client.get(reverse("cases:export_xlsx"), {"full_ids": "1"})

    assert masked.status_code == 200
    assert masked["Content-Type"].startswith("application/vnd.openxmlformats")

    def cells(response):
        sheet = load_workbook(io.BytesIO(response.content)).active
        return [[c for c in row] for row in sheet.iter_rows(values_only=True)]

    rows = cells(masked)
    assert rows[1][0] == case.reference
    assert rows[1][4] == mask_id_number(case.person.id_number)
    assert cells(full)[1][4] == case.person.id_number
    audits = AuditEvent.objects.filter(action="export").order_by("id")
    assert ['"full_id_numbers": true' in a.detail for a in audits] == [False, True]
    client.force_login(clerk)
    assert client.get(reverse("cases:export_xlsx")).status_code == 403


def test_a_supervisor_assigns_ticked_cases_to_a_colleague(client, agency, supervisor, clerk):
    from cases.models import Case
    from tests.accounts.factories import InsuredPersonFactory
    from tests.cases.factories import CaseFactory

    cases = [CaseFactory(person=InsuredPersonFactory(), agency=agency) for _ in range(3)]
    client.force_login(supervisor)

    response = client.post(
        reverse("cases:bulk_assign"),
        {"cases": [c.pk for c in cases[:2]], "assignee": str(clerk.pk)},
    )

    assert response.status_code == 302
    held = dict(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("pk", "assignee"))
    assert held == {cases[0].pk: clerk.pk, cases[1].pk: clerk.pk, cases[2].pk: None}


def test_a_clerk_may_not_assign_in_bulk(client, case, clerk):
    client.force_login(clerk)

    response = client.post(reverse("cases:bulk_assign"), {"cases": [case.pk], "assignee": ""})

    assert response.status_code == 403
