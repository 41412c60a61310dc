"""The supervisor's freezes page, the link to it, and what the holder sees on their home page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.freezes.models import AccountFreeze, FreezeKind
from accounts.freezes.services import account_freeze
from accounts.models import PersonalAccount
from tests.accounts.factories import staff_user
from tests.withdrawals.factories import account_in, applicant_of, dongguan_agency, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def agency():
    return dongguan_agency()


@pytest.fixture
def account(agency):
    return account_in(agency)


def _page(account) -> str:
    return reverse("accounts:freezes", kwargs={"account_id": account.pk})


def _freeze_by_post(client, account, user):
    client.force_login(user)
    data = {"kind": FreezeKind.JUDICIAL, "reason": "法院协助冻结通知书", "document": upload()}
    return client.post(_page(account), data)


def test_a_supervisor_freezes_from_the_page(client, agency, account):
    supervisor = staff_user("supervisor", agency)

    response = _freeze_by_post(client, account, supervisor)

    account.refresh_from_db()
    assert response.status_code == 302
    assert account.status == PersonalAccount.Status.FROZEN
    assert AccountFreeze.objects.get().set_by == supervisor


def test_a_supervisor_lifts_a_freeze_from_the_page(client, agency, account):
    supervisor = staff_user("supervisor", agency)
    freeze = account_freeze(
        account=account, kind=FreezeKind.JUDICIAL, reason="x", document=upload(), by=supervisor
    )
    client.force_login(supervisor)

    response = client.post(
        reverse("accounts:unfreeze", kwargs={"freeze_id": freeze.pk}),
        {"reason": "法院解除冻结", "document": upload("lift.pdf")},
    )

    account.refresh_from_db()
    assert response.status_code == 302
    assert account.status == PersonalAccount.Status.NORMAL


def test_a_clerk_sees_the_freezes_but_gets_no_form_and_cannot_freeze(client, agency, account):
    clerk = staff_user("clerk", agency)
    client.force_login(clerk)

    page = client.get(_page(account))
    refused = _freeze_by_post(client, account, clerk)

    account.refresh_from_db()
    assert page.status_code == 200
    assert 'id="freeze-form"' not in page.content.decode()
    assert refused.status_code == 200
    assert "Only a supervisor" in refused.content.decode()
    assert account.status == PersonalAccount.Status.NORMAL


def test_the_staff_person_page_links_to_the_freezes(client, agency, account):
    client.force_login(staff_user("supervisor", agency))

    page = client.get(reverse("family_pool:person", kwargs={"person_id": account.person_id}))

    assert _page(account) in page.content.decode()


def test_the_holder_sees_the_kind_of_freeze_but_not_the_agencys_note(client, agency, account):
    account_freeze(
        account=account,
        kind=FreezeKind.SUSPECTED_FRAUD,
        reason="医院报告冒名就医, 内部编号 X-17",
        document=upload(),
        by=staff_user("supervisor", agency),
    )
    client.force_login(applicant_of(account))

    page = client.get(reverse("accounts:home")).content.decode()

    assert "Suspected fraud" in page
    assert "X-17" not in page
    assert "While the account is frozen" in page
