from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import WithdrawalGround
from accounts.models import RegionPolicy
from cases.documents import document_add
from cases.errors import CaseError
from cases.models import CaseEvent, Deadline, DocumentKind, Notification
from cases.selectors import work_queue
from cases.steps import offered
from tests.accounts.factories import staff_user
from tests.withdrawals.factories import (
    account_in,
    applicant_of,
    application_for,
    clerk_and_reviewer,
    documents_for,
    dongguan_agency,
    submit,
    upload,
)
from withdrawals.models import Withdrawal
from withdrawals.services import (
    Assessment,
    withdrawal_approve,
    withdrawal_assess,
    withdrawal_cancel,
    withdrawal_documents_supplied,
    withdrawal_first_review,
    withdrawal_refuse,
    withdrawal_request_documents,
    withdrawal_submit,
)


def withdrawal_actions(user, withdrawal):
    return [offer.name for offer in offered(user, withdrawal)]


pytestmark = pytest.mark.django_db

S = Withdrawal.State


@pytest.fixture
def agency():
    return dongguan_agency()


@pytest.fixture
def staff(agency):
    return clerk_and_reviewer(agency)


@pytest.fixture
def withdrawal(agency):
    return submit(account_in(agency))


def _reload(withdrawal):
    return Withdrawal.objects.get(pk=withdrawal.pk)


# --- first and second review -------------------------------------------------------------


def test_a_clerk_then_a_different_reviewer_approve(withdrawal, staff):
    clerk, reviewer = staff

    withdrawal_first_review(withdrawal=withdrawal, by=clerk)
    withdrawal_approve(withdrawal=withdrawal, by=reviewer)

    withdrawal = _reload(withdrawal)
    assert withdrawal.state == S.APPROVED
    assert withdrawal.case.state == S.APPROVED
    actions = list(withdrawal.case.events.values_list("action", "actor"))
    assert ("first_review", clerk.pk) in actions
    assert ("approve", reviewer.pk) in actions
    clocks = dict(Deadline.objects.filter(case=withdrawal.case).values_list("step", "status"))
    assert clocks == {"review": Deadline.Status.MET, "payout": Deadline.Status.OPEN}


def test_the_same_person_cannot_do_both_reviews(withdrawal, agency):
    supervisor = staff_user("supervisor", agency)
    withdrawal_first_review(withdrawal=withdrawal, by=supervisor)

    with pytest.raises(CaseError) as caught:
        withdrawal_approve(withdrawal=withdrawal, by=supervisor)

    assert caught.value.code == "four_eyes"
    assert _reload(withdrawal).state == S.FIRST_REVIEWED
    assert "approve" not in withdrawal_actions(supervisor, _reload(withdrawal))


def test_a_reviewer_cannot_do_the_first_review(withdrawal, staff):
    _clerk, reviewer = staff

    with pytest.raises(CaseError) as caught:
        withdrawal_first_review(withdrawal=withdrawal, by=reviewer)

    assert caught.value.code == "forbidden"


def test_a_clerk_cannot_approve(withdrawal, staff):
    clerk, _reviewer = staff
    other_clerk = staff_user("clerk", withdrawal.case.agency, username="clerk2")
    withdrawal_first_review(withdrawal=withdrawal, by=clerk)

    with pytest.raises(CaseError) as caught:
        withdrawal_approve(withdrawal=withdrawal, by=other_clerk)

    assert caught.value.code == "forbidden"


def test_the_buttons_are_exactly_the_steps_the_user_may_take(withdrawal, staff):
    clerk, reviewer = staff

    assert sorted(withdrawal_actions(clerk, withdrawal)) == [
        "first_review",
        "refuse",
        "request_documents",
    ]
    assert withdrawal_actions(reviewer, withdrawal) == []
    withdrawal_first_review(withdrawal=withdrawal, by=clerk)
    withdrawal = _reload(withdrawal)
    assert sorted(withdrawal_actions(reviewer, withdrawal)) == ["approve", "refuse_on_review"]
    assert withdrawal_actions(clerk, withdrawal) == []


def test_the_first_review_rechecks_the_rules_with_the_clerks_findings(agency, staff):
    clerk, _reviewer = staff
    withdrawal = submit(account_in(agency), WithdrawalGround.LIVING_ELSEWHERE)
    recent = timezone.localdate() - datetime.timedelta(days=30)
    withdrawal_assess(
        withdrawal=withdrawal,
        by=clerk,
        assessment=Assessment(
            outstanding_costs=Decimal("0"), last_local_treatment_on=recent, fee_exempt_group=""
        ),
    )

    with pytest.raises(CaseError) as caught:
        withdrawal_first_review(withdrawal=withdrawal, by=clerk)

    assert len(caught.value.reasons) == 1
    assert recent.isoformat() in caught.value.reasons[0]
    assert CaseEvent.objects.filter(case=withdrawal.case, action="assessed").exists()


def test_the_first_review_refuses_a_ground_the_region_stopped_allowing(withdrawal, staff):
    clerk, _reviewer = staff
    RegionPolicy.objects.create(
        region=withdrawal.account.enrollment.region,
        withdrawal_grounds=[WithdrawalGround.DEATH],
    )

    with pytest.raises(CaseError) as caught:
        withdrawal_first_review(withdrawal=withdrawal, by=clerk)

    assert "Serious illness" in caught.value.reasons[0]


# --- refusal -----------------------------------------------------------------------------


def test_a_refusal_gives_every_reason_to_the_applicant_at_once(agency, staff):
    clerk, _reviewer = staff
    account = account_in(agency)
    user = applicant_of(account)
    withdrawal = withdrawal_submit(
        account=account,
        application=application_for(account, WithdrawalGround.SERIOUS_ILLNESS),
        documents=documents_for(WithdrawalGround.SERIOUS_ILLNESS),
        by=user,
        applicant=user,
    )

    withdrawal_refuse(
        withdrawal=withdrawal,
        by=clerk,
        reasons=["诊断证明不在74种重大疾病目录内", "费用清单无医院盖章", " "],
    )

    withdrawal = _reload(withdrawal)
    assert withdrawal.state == S.REFUSED
    assert withdrawal.refusal_reasons == ["诊断证明不在74种重大疾病目录内", "费用清单无医院盖章"]
    assert withdrawal.case.closed_at is not None
    told = Notification.objects.filter(recipient=user, subject__contains="未通过").get(
        channel=Notification.Channel.INBOX
    )
    assert "74种" in told.body
    assert "盖章" in told.body


def test_a_refusal_needs_a_reason(withdrawal, staff):
    clerk, _reviewer = staff

    with pytest.raises(CaseError):
        withdrawal_refuse(withdrawal=withdrawal, by=clerk, reasons=["", "  "])

    assert _reload(withdrawal).state == S.SUBMITTED


def test_the_reviewer_may_refuse_at_second_review(withdrawal, staff):
    clerk, reviewer = staff
    withdrawal_first_review(withdrawal=withdrawal, by=clerk)

    withdrawal_refuse(withdrawal=withdrawal, by=reviewer, reasons=["银行卡户名与身份证不符"])

    assert _reload(withdrawal).state == S.REFUSED


# --- documents requested (补件) ------------------------------------------------------------


def test_requesting_documents_pauses_the_clock_until_they_are_supplied(withdrawal, staff):
    clerk, _reviewer = staff
    applicant = applicant_of(withdrawal.account)

    withdrawal_request_documents(
        withdrawal=withdrawal, by=clerk, kinds=[DocumentKind.EXPENSE_LIST], note="看不清"
    )

    deadline = Deadline.objects.get(case=withdrawal.case)
    assert _reload(withdrawal).state == S.WAITING_DOCUMENTS
    assert deadline.status == Deadline.Status.PAUSED
    with pytest.raises(CaseError) as caught:
        withdrawal_documents_supplied(withdrawal=withdrawal, by=applicant)
    assert caught.value.reasons == ["Missing document: Expense list."]

    document_add(
        case=withdrawal.case, kind=DocumentKind.EXPENSE_LIST, upload=upload(), by=applicant
    )
    withdrawal_documents_supplied(withdrawal=withdrawal, by=applicant)

    assert _reload(withdrawal).state == S.SUBMITTED
    assert Deadline.objects.get(case=withdrawal.case).status == Deadline.Status.OPEN


# --- cancellation ------------------------------------------------------------------------


def test_the_applicant_may_cancel_before_the_review(withdrawal):
    applicant = applicant_of(withdrawal.account)

    withdrawal_cancel(withdrawal=withdrawal, by=applicant)

    withdrawal = _reload(withdrawal)
    assert withdrawal.state == S.CANCELLED
    assert withdrawal.case.closed_at is not None
    assert Deadline.objects.get(case=withdrawal.case).status == Deadline.Status.CANCELLED


def test_the_applicant_cannot_cancel_after_the_first_review(withdrawal, staff):
    clerk, _reviewer = staff
    applicant = applicant_of(withdrawal.account)
    withdrawal_first_review(withdrawal=withdrawal, by=clerk)

    with pytest.raises(CaseError) as caught:
        withdrawal_cancel(withdrawal=withdrawal, by=applicant)

    assert caught.value.code == "wrong_state"


def test_staff_cannot_cancel_for_the_applicant(withdrawal, staff):
    clerk, _reviewer = staff

    with pytest.raises(CaseError) as caught:
        withdrawal_cancel(withdrawal=withdrawal, by=clerk)

    assert caught.value.code == "forbidden"


# --- the queue ---------------------------------------------------------------------------


def test_serious_illness_comes_first_in_the_queue(agency, staff):
    clerk, _reviewer = staff
    retiree = submit(account_in(agency), WithdrawalGround.RELOCATED_RETIREE)
    ill = submit(account_in(agency), WithdrawalGround.SERIOUS_ILLNESS)

    queue = list(work_queue(clerk, kind="withdrawal"))

    assert queue == [ill.case, retiree.case]
