from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.choices import WithdrawalGround
from accounts.errors import AccountsError
from accounts.models import LedgerEntry, LedgerTransaction, PersonalAccount
from accounts.signals import CoverageEnd, coverage_ended
from cases.errors import CaseError
from cases.models import Notification
from tests.withdrawals.factories import (
    account_in,
    applicant_of,
    clerk_and_reviewer,
    credit,
    debit,
    dongguan_agency,
    submit,
)
from withdrawals.models import Withdrawal
from withdrawals.payout import _post_payout, withdrawal_pay
from withdrawals.selectors import withdrawal_computation
from withdrawals.services import (
    Assessment,
    withdrawal_approve,
    withdrawal_assess,
    withdrawal_first_review,
)

pytestmark = pytest.mark.django_db

D = Decimal
KIND = LedgerTransaction.Kind


def _approved(account, ground=WithdrawalGround.SERIOUS_ILLNESS, *, outstanding=None, **kw):
    clerk, reviewer = clerk_and_reviewer(account.enrollment.region.agencies.get())
    withdrawal = submit(account, ground, **kw)
    if outstanding is not None:
        withdrawal_assess(
            withdrawal=withdrawal,
            by=clerk,
            assessment=Assessment(
                outstanding_costs=D(outstanding),
                last_local_treatment_on=withdrawal.last_local_treatment_on,
                fee_exempt_group=withdrawal.fee_exempt_group,
            ),
        )
    withdrawal_first_review(withdrawal=withdrawal, by=clerk)
    withdrawal_approve(withdrawal=withdrawal, by=reviewer)
    return Withdrawal.objects.get(pk=withdrawal.pk), clerk


def _moves(account):
    """(kind, amount) of every debit on the account, in order."""
    return list(
        LedgerEntry.objects.filter(account=account, direction="debit")
        .order_by("id")
        .values_list("transaction__kind", "amount")
    )


def test_the_payout_pays_the_individual_part_and_returns_the_employer_part_to_the_fund():
    account = account_in(dongguan_agency(), individual="1000.00", employer="400.00")
    withdrawal, clerk = _approved(account)

    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    withdrawal = Withdrawal.objects.get(pk=withdrawal.pk)
    account.refresh_from_db()
    assert _moves(account) == [(KIND.WITHDRAWAL, D("1000.00")), (KIND.ADJUSTMENT, D("400.00"))]
    assert withdrawal.payout_amount == D("1000.00")
    assert withdrawal.employer_part == D("400.00")
    assert account.balance == 0
    pooled = LedgerTransaction.objects.get(idempotency_key=f"withdrawal:{withdrawal.pk}:pooled")
    assert "pooled fund" in pooled.memo


def test_debits_before_the_withdrawal_come_off_the_individual_part():
    account = account_in(dongguan_agency(), individual="1000.00", employer="400.00")
    debit(account, "300.00")
    withdrawal, clerk = _approved(account)

    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    assert _moves(account)[1:] == [(KIND.WITHDRAWAL, D("700.00")), (KIND.ADJUSTMENT, D("400.00"))]


def test_the_fee_and_outstanding_costs_are_deducted_and_shown():
    agency = dongguan_agency(withdrawal_fee=D("2.00"))
    account = account_in(agency, individual="1000.00", employer="400.00")
    withdrawal, clerk = _approved(account, outstanding="48.00")
    assert withdrawal_computation(withdrawal).payout == D("950.00")

    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    withdrawal = Withdrawal.objects.get(pk=withdrawal.pk)
    assert withdrawal.fee == D("2.00")
    assert withdrawal.payout_amount == D("950.00")
    assert _moves(account) == [
        (KIND.ADJUSTMENT, D("48.00")),
        (KIND.ADJUSTMENT, D("2.00")),
        (KIND.WITHDRAWAL, D("950.00")),
        (KIND.ADJUSTMENT, D("400.00")),
    ]


def test_an_exempt_group_pays_no_fee():
    agency = dongguan_agency(withdrawal_fee=D("2.00"), withdrawal_fee_exempt_groups=["低保对象"])
    account = account_in(agency, individual="500.00", employer="0")
    withdrawal, clerk = _approved(account, fee_exempt_group="低保对象")

    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    withdrawal = Withdrawal.objects.get(pk=withdrawal.pk)
    assert withdrawal.fee == D("0.00")
    assert _moves(account) == [(KIND.WITHDRAWAL, D("500.00"))]


def test_a_group_the_region_does_not_exempt_is_refused():
    agency = dongguan_agency(withdrawal_fee=D("2.00"), withdrawal_fee_exempt_groups=["低保对象"])
    account = account_in(agency)

    with pytest.raises(CaseError) as caught:
        submit(account, fee_exempt_group="VIP")

    assert caught.value.reasons == ["“VIP” is not a group exempt from the fee in 东莞市."]


def test_a_death_is_paid_to_the_heir():
    account = account_in(dongguan_agency(), individual="800.00", employer="0")
    withdrawal, clerk = _approved(account, WithdrawalGround.DEATH)

    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    payout = Withdrawal.objects.get(pk=withdrawal.pk).payout_transaction
    assert withdrawal.heir_name in payout.memo
    assert withdrawal.heir_name != account.person.name


def test_calling_the_payout_twice_records_one_payout():
    account = account_in(dongguan_agency())
    withdrawal, clerk = _approved(account)

    withdrawal_pay(withdrawal=withdrawal, by=clerk)
    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    assert LedgerTransaction.objects.filter(kind=KIND.WITHDRAWAL).count() == 1
    assert withdrawal.case.events.filter(action="pay").count() == 1


def test_retrying_the_ledger_step_of_a_payout_writes_nothing_twice():
    account = account_in(dongguan_agency())
    withdrawal, _clerk = _approved(account)
    computation = withdrawal_computation(withdrawal)

    first = _post_payout(withdrawal, computation, None)
    again = _post_payout(withdrawal, computation, None)

    assert first.pk == again.pk
    assert LedgerTransaction.objects.filter(kind=KIND.WITHDRAWAL).count() == 1
    assert LedgerEntry.objects.filter(account=account, direction="debit").count() == 2


def test_the_payout_is_refused_before_approval():
    account = account_in(dongguan_agency())
    clerk, _reviewer = clerk_and_reviewer(account.enrollment.region.agencies.get())
    withdrawal = submit(account)

    with pytest.raises(CaseError) as caught:
        withdrawal_pay(withdrawal=withdrawal, by=clerk)

    assert caught.value.code == "wrong_state"
    assert not LedgerTransaction.objects.filter(kind=KIND.WITHDRAWAL).exists()


def test_the_account_is_closed_and_every_binding_of_the_person_ends():
    account = account_in(dongguan_agency())
    withdrawal, clerk = _approved(account)
    ended = []

    def receiver(sender, person, reason, by, **kwargs):
        ended.append((person.pk, reason))

    coverage_ended.connect(receiver, dispatch_uid="test-withdrawal-bindings")
    try:
        withdrawal_pay(withdrawal=withdrawal, by=clerk)
    finally:
        coverage_ended.disconnect(dispatch_uid="test-withdrawal-bindings")

    account.refresh_from_db()
    withdrawal = Withdrawal.objects.get(pk=withdrawal.pk)
    assert account.status == PersonalAccount.Status.CLOSED
    assert withdrawal.state == Withdrawal.State.CLOSED
    assert withdrawal.case.closed_at is not None
    assert ended == [(account.person_id, CoverageEnd.ACCOUNT_CLOSED)]


def test_a_closed_account_refuses_any_further_charge_or_credit():
    account = account_in(dongguan_agency())
    withdrawal, clerk = _approved(account)
    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    with pytest.raises(AccountsError) as charge:
        debit(account, "1.00")
    with pytest.raises(AccountsError) as deposit:
        credit(account, "1.00")

    assert charge.value.code == "account_closed"
    assert deposit.value.code == "account_closed"


def test_the_applicant_is_told_of_the_payout_and_the_closure():
    account = account_in(dongguan_agency(), individual="600.00", employer="0")
    user = applicant_of(account)
    withdrawal, clerk = _approved(account)

    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    told = Notification.objects.filter(recipient=user, channel=Notification.Channel.INBOX)
    subjects = list(told.values_list("subject", flat=True))
    # In the portal's language, Chinese, whatever language the test runs in.
    assert any(s.endswith("已支付") for s in subjects)
    assert any(s.endswith("已审核通过") for s in subjects)
