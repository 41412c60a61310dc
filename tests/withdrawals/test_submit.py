from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import WithdrawalGround
from accounts.models import Enrollment
from cases.errors import CaseError
from cases.models import Channel, Deadline, DocumentKind, Notification
from tests.accounts.factories import AgencyFactory, InsuredPersonFactory, UserFactory, staff_user
from tests.withdrawals.factories import (
    account_in,
    applicant_of,
    application_for,
    documents_for,
    dongguan_agency,
    submit,
)
from withdrawals import rules
from withdrawals.eligibility import card_number_warning
from withdrawals.models import Withdrawal
from withdrawals.selectors import preview_computation
from withdrawals.services import withdrawal_submit

pytestmark = pytest.mark.django_db

G = WithdrawalGround
STOPPED = Enrollment.Status.STOPPED


def _today() -> datetime.date:
    return timezone.localdate()


def _eligible_account(agency, ground):
    """An account meeting the ground's own conditions (a stopped enrollment where needed)."""
    if ground in rules.STOPPED_ENROLLMENT_GROUNDS:
        return account_in(agency, status=STOPPED, end_date=_today() - datetime.timedelta(days=400))
    return account_in(agency)


def _refusal(
    account, ground=G.SERIOUS_ILLNESS, *, without=(), applicant=None, by=None, **overrides
):
    with pytest.raises(CaseError) as caught:
        withdrawal_submit(
            account=account,
            application=application_for(account, ground, **overrides),
            documents=documents_for(ground, without=without),
            by=by or applicant,
            applicant=applicant,
        )
    return caught.value.reasons


# --- grounds and region policy -----------------------------------------------------------


@pytest.mark.parametrize("ground", G.values)
def test_each_ground_is_accepted_where_the_region_allows_it(ground):
    agency = dongguan_agency()
    account = _eligible_account(agency, ground)

    withdrawal = submit(account, ground)

    assert withdrawal.state == Withdrawal.State.SUBMITTED
    assert withdrawal.case.kind == "withdrawal"
    assert withdrawal.case.agency == agency
    assert set(withdrawal.case.documents.values_list("kind", flat=True)) == set(
        rules.required_documents(ground)
    )


@pytest.mark.parametrize("ground", G.values)
def test_each_ground_is_refused_where_the_region_does_not_allow_it(ground):
    others = [g for g in G.values if g != ground]
    agency = dongguan_agency(withdrawal_grounds=others)
    account = _eligible_account(agency, ground)

    reasons = _refusal(account, ground)

    assert any("东莞市" in r and str(G(ground).label) in r for r in reasons)
    assert not Withdrawal.objects.exists()


MISSING = [(ground, kind) for ground in G.values for kind in rules.required_documents(ground)]


@pytest.mark.parametrize(("ground", "kind"), MISSING)
def test_each_missing_document_refuses_the_application(ground, kind):
    account = _eligible_account(dongguan_agency(), ground)

    reasons = _refusal(account, ground, without=(kind,))

    assert reasons == [f"Missing document: {DocumentKind(kind).label}."]


def test_every_reason_is_given_at_once():
    account = account_in(dongguan_agency())

    reasons = _refusal(
        account,
        without=(DocumentKind.DIAGNOSIS, DocumentKind.BANK_CARD),
        payee_name="代取中介",
    )

    assert len(reasons) == 3


# --- the conditions of each ground -------------------------------------------------------


@pytest.mark.parametrize("ground", [G.LEAVING_SCHEME, G.EMIGRATION])
def test_leaving_or_emigrating_needs_the_enrollment_stopped(ground):
    account = account_in(dongguan_agency())

    reasons = _refusal(account, ground)

    assert any("the employer must first stop it" in r for r in reasons)


@pytest.mark.parametrize("ground", [G.LEAVING_SCHEME, G.EMIGRATION])
def test_the_waiting_period_counts_from_the_day_the_enrollment_stopped(ground):
    agency = dongguan_agency(withdrawal_waiting_months=6)
    stopped_on = _today() - datetime.timedelta(days=60)
    account = account_in(agency, status=STOPPED, end_date=stopped_on)

    reasons = _refusal(account, ground)

    assert reasons == [
        f"The enrollment stopped on {stopped_on.isoformat()}; 6 months must pass before a "
        f"withdrawal, so from {rules.add_months(stopped_on, 6).isoformat()}."
    ]


def test_after_the_waiting_period_leaving_the_scheme_is_accepted():
    agency = dongguan_agency(withdrawal_waiting_months=6)
    account = account_in(agency, status=STOPPED, end_date=rules.add_months(_today(), -6))

    withdrawal = submit(account, G.LEAVING_SCHEME)

    assert withdrawal.state == Withdrawal.State.SUBMITTED


def test_living_elsewhere_needs_six_months_without_treatment_in_the_enrollment_region():
    account = account_in(dongguan_agency())
    recent = _today() - datetime.timedelta(days=100)

    reasons = _refusal(account, G.LIVING_ELSEWHERE, last_local_treatment_on=recent)

    assert len(reasons) == 1
    assert rules.add_months(recent, 6).isoformat() in reasons[0]


def test_living_elsewhere_needs_the_date_of_the_last_local_treatment():
    account = account_in(dongguan_agency())

    reasons = _refusal(account, G.LIVING_ELSEWHERE, last_local_treatment_on=None)

    assert reasons == ["Give the date of the last treatment in the enrollment region."]


# --- death and the heir ------------------------------------------------------------------


def test_a_death_is_paid_to_the_heir_who_is_a_different_person():
    account = account_in(dongguan_agency())
    heir = InsuredPersonFactory()
    heir_user = UserFactory(username="heir", person=heir)

    withdrawal = withdrawal_submit(
        account=account,
        application=application_for(
            account,
            G.DEATH,
            heir_name=heir.name,
            heir_id_number=heir.id_number,
            payee_name=heir.name,
        ),
        documents=documents_for(G.DEATH),
        by=heir_user,
        applicant=heir_user,
    )

    assert withdrawal.case.person == account.person
    assert withdrawal.case.applicant == heir_user
    assert withdrawal.heir_id_number == heir.id_number


def test_the_deceased_cannot_be_their_own_heir():
    account = account_in(dongguan_agency())

    reasons = _refusal(
        account,
        G.DEATH,
        heir_name=account.person.name,
        heir_id_number=account.person.id_number,
        payee_name=account.person.name,
    )

    assert reasons == ["The heir must be a different person from the deceased insured person."]


def test_after_a_death_the_payee_must_be_the_heir_not_the_deceased():
    account = account_in(dongguan_agency())

    reasons = _refusal(account, G.DEATH, payee_name=account.person.name)

    assert len(reasons) == 1
    assert "the heir" in reasons[0]


def test_online_only_the_heir_can_apply_for_a_deceased_persons_balance():
    account = account_in(dongguan_agency())
    stranger = UserFactory(username="stranger", person=InsuredPersonFactory())

    reasons = _refusal(account, G.DEATH, applicant=stranger)

    assert reasons == ["Online, only the heir can apply for a deceased person's balance."]


# --- payee, card and account -------------------------------------------------------------


def test_payment_to_anyone_but_the_insured_person_is_refused():
    account = account_in(dongguan_agency())

    reasons = _refusal(account, payee_name="张中介")

    assert len(reasons) == 1
    assert account.person.name in reasons[0]


def test_a_card_number_failing_the_luhn_check_is_only_a_warning():
    account = account_in(dongguan_agency())

    withdrawal = submit(account, bank_account="6222020200112233445")

    assert withdrawal.state == Withdrawal.State.SUBMITTED
    assert card_number_warning(withdrawal)
    assert card_number_warning("6222020200112233446") == ""


def test_a_card_number_that_is_not_digits_is_refused():
    account = account_in(dongguan_agency())

    reasons = _refusal(account, bank_account="6222-abc")

    assert reasons == ["A bank card number has 12 to 19 digits."]


def test_a_second_withdrawal_of_the_same_account_is_refused_while_one_is_live():
    account = account_in(dongguan_agency())
    submit(account)

    reasons = _refusal(account)

    assert reasons == ["A withdrawal of this account is already in progress or paid."]


def test_an_applicant_cannot_apply_for_someone_elses_account():
    account = account_in(dongguan_agency())
    other = UserFactory(username="other", person=InsuredPersonFactory())

    reasons = _refusal(account, applicant=other)

    assert reasons == ["You can only apply for your own personal account."]


def test_an_account_with_only_employer_money_has_nothing_to_pay_out():
    account = account_in(dongguan_agency(), individual="0", employer="900.00")

    reasons = _refusal(account)

    assert len(reasons) == 1
    assert "Nothing is left to pay out" in reasons[0]


# --- what the submission writes ----------------------------------------------------------


def test_the_preview_excludes_the_employer_part_and_shows_the_fee():
    agency = dongguan_agency(withdrawal_fee=Decimal("2.00"))
    account = account_in(agency, individual="1000.00", employer="400.00")

    preview = preview_computation(account)

    assert preview.balance == Decimal("1400.00")
    assert preview.individual_part == Decimal("1000.00")
    assert preview.employer_part == Decimal("400.00")
    assert preview.fee == Decimal("2.00")
    assert preview.payout == Decimal("998.00")


def test_serious_illness_gets_the_fast_review_limit_and_others_the_normal_one():
    agency = dongguan_agency(withdrawal_review_days=10)
    ill = submit(account_in(agency), G.SERIOUS_ILLNESS)
    retiree = submit(account_in(agency), G.RELOCATED_RETIREE)

    fast = Deadline.objects.get(case=ill.case)
    normal = Deadline.objects.get(case=retiree.case)

    assert (fast.step, fast.working_days) == ("review", 1)
    assert normal.working_days == 10
    assert ill.case.due_on == fast.due_on < normal.due_on


def test_the_applicant_is_told_the_application_arrived():
    account = account_in(dongguan_agency())
    user = applicant_of(account)

    withdrawal = withdrawal_submit(
        account=account,
        application=application_for(account, G.SERIOUS_ILLNESS),
        documents=documents_for(G.SERIOUS_ILLNESS),
        by=user,
        applicant=user,
        channel=Channel.ONLINE,
    )

    inbox = Notification.objects.get(recipient=user, channel=Notification.Channel.INBOX)
    assert inbox.case == withdrawal.case
    assert withdrawal.case.reference in inbox.subject


def test_a_waiting_period_cannot_be_checked_without_the_date_the_enrollment_stopped():
    agency = dongguan_agency(withdrawal_waiting_months=3)
    account = account_in(agency, status=STOPPED, end_date=None)

    reasons = _refusal(account, G.EMIGRATION)

    assert len(reasons) == 1
    assert "not on record" in reasons[0]


def test_an_heir_without_a_login_is_told_by_sms_not_the_deceased():
    account = account_in(dongguan_agency())

    withdrawal = submit(account, G.DEATH)

    sms = Notification.objects.get(case=withdrawal.case, channel=Notification.Channel.SMS)
    assert sms.address == withdrawal.heir_phone
    assert sms.address != account.person.phone


def test_a_clerk_of_another_agency_cannot_file_at_the_window():
    account = account_in(dongguan_agency())
    outsider = staff_user("clerk", AgencyFactory(code="OTHER"), username="outsider")

    reasons = _refusal(account, applicant=None, by=outsider)

    assert reasons == ["This personal account belongs to another agency's coordination area."]


def test_staff_who_do_not_process_cases_cannot_file_at_the_window():
    agency = dongguan_agency()
    account = account_in(agency)
    reviewer = staff_user("reviewer", agency, username="reviewer")

    reasons = _refusal(account, by=reviewer)

    assert reasons == ["Only a clerk may take in an application at the window."]
