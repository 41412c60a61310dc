from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils.translation import gettext

from accounts.choices import WithdrawalGround
from tests.accounts.factories import UserFactory, staff_user
from tests.withdrawals.factories import (
    account_in,
    clerk_and_reviewer,
    dongguan_agency,
    submit,
    upload,
)
from withdrawals.models import EmergencyRefund, Withdrawal
from withdrawals.refunds import emergency_refund_submit

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:withdrawals_withdrawal_changelist"


@pytest.fixture
def agency():
    return dongguan_agency()


@pytest.fixture
def withdrawal(agency):
    return submit(account_in(agency))


@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _found(client, term):
    page = client.get(reverse(CHANGELIST), {"q": term})
    assert page.status_code == 200
    return list(page.context["cl"].result_list)


def test_withdrawals_are_found_by_id_number_and_by_case_reference(admin_client_, agency):
    first = submit(account_in(agency))
    submit(account_in(agency))
    number = first.case.person.id_number

    assert _found(admin_client_, number.lower()) == [first]
    assert _found(admin_client_, first.case.reference) == [first]


def test_a_death_is_found_by_the_heirs_id_number(admin_client_, agency):
    death = submit(account_in(agency), WithdrawalGround.DEATH)

    assert _found(admin_client_, death.heir_id_number) == [death]


def test_every_model_has_its_admin_pages(admin_client_, withdrawal, agency):
    account = withdrawal.account
    refund = emergency_refund_submit(
        account=account,
        amount="10.00",
        hospital="医院",
        treated_on=withdrawal.case.created_at.date(),
        receipts=[upload()],
        by=None,
    )

    for url in (
        reverse("admin:withdrawals_withdrawal_change", args=[withdrawal.pk]),
        reverse("admin:withdrawals_emergencyrefund_changelist"),
        reverse("admin:withdrawals_emergencyrefund_change", args=[refund.pk]),
    ):
        assert admin_client_.get(url).status_code == 200


def _act(client, action, *objs, model="withdrawal"):
    return client.post(
        reverse(f"admin:withdrawals_{model}_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objs]},
        follow=True,
    )


def test_review_and_payout_as_admin_actions_by_two_people(client, withdrawal, agency):
    clerk, reviewer = clerk_and_reviewer(agency)

    client.force_login(clerk)
    _act(client, "first_review", withdrawal)
    client.force_login(reviewer)
    _act(client, "approve", withdrawal)
    client.force_login(clerk)
    _act(client, "pay", withdrawal)

    assert Withdrawal.objects.get(pk=withdrawal.pk).state == Withdrawal.State.CLOSED


def test_an_admin_action_refused_by_the_service_is_reported_and_changes_nothing(
    client, withdrawal, agency
):
    supervisor = staff_user("supervisor", agency)
    client.force_login(supervisor)
    _act(client, "first_review", withdrawal)

    page = _act(client, "approve", withdrawal)

    assert Withdrawal.objects.get(pk=withdrawal.pk).state == Withdrawal.State.FIRST_REVIEWED
    refusal = gettext("The second review must be done by someone other than the first reviewer.")
    assert any(refusal in str(m) for m in page.context["messages"])


def test_refund_actions_call_the_refund_services(client, withdrawal, agency):
    clerk, _reviewer = clerk_and_reviewer(agency)
    refund = emergency_refund_submit(
        account=withdrawal.account,
        amount="25.00",
        hospital="医院",
        treated_on=withdrawal.case.created_at.date(),
        receipts=[upload()],
        by=None,
    )
    client.force_login(clerk)

    _act(client, "approve", refund, model="emergencyrefund")
    _act(client, "credit", refund, model="emergencyrefund")

    assert EmergencyRefund.objects.get(pk=refund.pk).state == EmergencyRefund.State.CREDITED
