from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import FundSource, LedgerEntry, LedgerTransaction, PersonalAccount
from cases.errors import CaseError
from cases.models import Deadline, DocumentKind, Notification
from tests.accounts.factories import staff_user
from tests.withdrawals.factories import (
    account_in,
    applicant_of,
    clerk_and_reviewer,
    dongguan_agency,
    upload,
)
from withdrawals.models import EmergencyRefund
from withdrawals.refunds import (
    emergency_refund_approve,
    emergency_refund_credit,
    emergency_refund_refuse,
    emergency_refund_submit,
)
from withdrawals.selectors import account_split

pytestmark = pytest.mark.django_db

D = Decimal
S = EmergencyRefund.State
EVE_OF_NATIONAL_DAY = datetime.date(2026, 9, 30)


@pytest.fixture
def agency():
    return dongguan_agency()


@pytest.fixture
def clerk(agency):
    return clerk_and_reviewer(agency)[0]


def _submit(account, amount="860.50", receipts=None, **kw):
    user = kw.pop("applicant", None) or applicant_of(account)
    return emergency_refund_submit(
        account=account,
        amount=D(amount),
        hospital="东莞市人民医院",
        treated_on=kw.pop("treated_on", datetime.date(2026, 9, 20)),
        receipts=[upload("receipt.pdf")] if receipts is None else receipts,
        by=user,
        applicant=user,
        **kw,
    )


def _on(monkeypatch, day):
    monkeypatch.setattr("cases.workflow.today", lambda: day)


def test_the_refund_is_due_seven_working_days_later_counted_across_the_national_day(
    agency, monkeypatch
):
    _on(monkeypatch, EVE_OF_NATIONAL_DAY)

    refund = _submit(account_in(agency))

    deadline = Deadline.objects.get(case=refund.case)
    # 1–7 October are holidays and Saturday 10 October is a make-up working day.
    assert (deadline.step, deadline.working_days) == ("refund", 7)
    assert deadline.due_on == datetime.date(2026, 10, 15)
    assert refund.case.due_on == datetime.date(2026, 10, 15)
    assert refund.case.documents.get().kind == DocumentKind.RECEIPTS


def test_a_region_may_set_a_shorter_refund_limit(monkeypatch):
    agency = dongguan_agency(emergency_refund_days=3)
    _on(monkeypatch, EVE_OF_NATIONAL_DAY)

    refund = _submit(account_in(agency))

    assert Deadline.objects.get(case=refund.case).due_on == datetime.date(2026, 10, 10)


def test_an_approved_refund_is_credited_as_individual_money(agency, clerk):
    account = account_in(agency, individual="100.00", employer="50.00")
    refund = _submit(account)

    emergency_refund_approve(refund=refund, by=clerk)
    emergency_refund_credit(refund=refund, by=clerk)

    refund = EmergencyRefund.objects.get(pk=refund.pk)
    account.refresh_from_db()
    entry = LedgerEntry.objects.get(transaction=refund.credit_transaction, account=account)
    assert refund.state == S.CREDITED
    assert account.balance == D("1010.50")
    assert (entry.fund_source, entry.amount) == (FundSource.REFUND, D("860.50"))
    assert account_split(account).individual == D("960.50")
    assert Deadline.objects.get(case=refund.case).status == Deadline.Status.MET
    assert refund.case.closed_at is not None


def test_crediting_twice_credits_once(agency, clerk):
    refund = _submit(account_in(agency))
    emergency_refund_approve(refund=refund, by=clerk)

    emergency_refund_credit(refund=refund, by=clerk)
    emergency_refund_credit(refund=refund, by=clerk)

    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REFUND).count() == 1


def test_a_smaller_amount_may_be_approved_but_never_more_than_claimed(agency, clerk):
    refund = _submit(account_in(agency), amount="500.00")

    with pytest.raises(CaseError):
        emergency_refund_approve(refund=refund, by=clerk, amount=D("500.01"))
    emergency_refund_approve(refund=refund, by=clerk, amount=D("420.00"))

    assert EmergencyRefund.objects.get(pk=refund.pk).approved_amount == D("420.00")


def test_a_refusal_gives_its_reasons_and_credits_nothing(agency, clerk):
    refund = _submit(account_in(agency))

    emergency_refund_refuse(refund=refund, by=clerk, reasons=["发票非急诊", "已在医院直接结算"])

    refund = EmergencyRefund.objects.get(pk=refund.pk)
    assert refund.state == S.REFUSED
    assert refund.refusal_reasons == ["发票非急诊", "已在医院直接结算"]
    assert not LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REFUND).exists()


def test_an_applicant_cannot_approve_their_own_refund(agency):
    account = account_in(agency)
    refund = _submit(account)

    with pytest.raises(CaseError) as caught:
        emergency_refund_approve(refund=refund, by=applicant_of(account))

    assert caught.value.code == "forbidden"


def test_the_receipts_are_required(agency):
    with pytest.raises(CaseError) as caught:
        _submit(account_in(agency), receipts=[])

    assert caught.value.reasons == ["Missing document: Receipts of advanced costs."]


def test_a_closed_account_takes_no_refund(agency, clerk):
    account = account_in(agency)
    refund = _submit(account)
    emergency_refund_approve(refund=refund, by=clerk)
    PersonalAccount.objects.filter(pk=account.pk).update(status=PersonalAccount.Status.CLOSED)

    with pytest.raises(CaseError) as credit:
        emergency_refund_credit(refund=refund, by=clerk)
    with pytest.raises(CaseError) as again:
        _submit(PersonalAccount.objects.get(pk=account.pk))

    assert credit.value.code == "account_closed"
    assert again.value.reasons == ["The personal account is closed; nothing can be credited to it."]


def test_the_applicant_is_told_of_each_decision(agency, clerk):
    account = account_in(agency)
    refund = _submit(account)

    emergency_refund_approve(refund=refund, by=clerk)
    emergency_refund_credit(refund=refund, by=clerk)

    subjects = list(
        Notification.objects.filter(
            recipient=applicant_of(account), channel=Notification.Channel.INBOX
        )
        .order_by("id")
        .values_list("subject", flat=True)
    )
    # In the portal's language, Chinese, whatever language the test runs in.
    assert [s.split()[0] for s in subjects] == [
        "已收到急诊垫付费用退回申请",
        "急诊垫付费用退回",
        "急诊垫付费用退回",
    ]
    assert [s.split()[-1] for s in subjects[1:]] == ["已通过", "已入账"]


def test_the_refund_page_masks_the_id_number_even_for_a_supervisor(client, agency):
    refund = _submit(account_in(agency))
    supervisor = staff_user("supervisor", agency, username="refund-supervisor")
    client.force_login(supervisor)

    html = client.get(reverse("withdrawals:refund_detail", args=[refund.pk])).content.decode()

    assert refund.case.person.id_number not in html
    assert reverse("cases:reveal_id", args=[refund.pk]) in html
