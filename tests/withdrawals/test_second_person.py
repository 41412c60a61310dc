"""双人复核 on a withdrawal's payout: from the region's threshold one member of staff prepares
it and another of the same agency confirms it, never the one who prepared it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import PersonalAccount, RegionPolicy
from cases.errors import CaseError
from tests.accounts.factories import staff_user
from tests.withdrawals.factories import account_in, clerk_and_reviewer, dongguan_agency, submit
from withdrawals.models import Withdrawal
from withdrawals.payout import (
    withdrawal_pay,
    withdrawal_payout_confirm,
    withdrawal_payout_send_back,
)
from withdrawals.selectors import withdrawal_progress
from withdrawals.services import withdrawal_approve, withdrawal_first_review

pytestmark = pytest.mark.django_db


def _approved(agency, threshold: str | None):
    if threshold is not None:
        RegionPolicy.objects.update_or_create(
            region=agency.region, defaults={"second_person_from": Decimal(threshold)}
        )
    clerk, reviewer = clerk_and_reviewer(agency)
    withdrawal = submit(account_in(agency))
    withdrawal_first_review(withdrawal=withdrawal, by=clerk)
    withdrawal_approve(withdrawal=withdrawal, by=reviewer)
    return Withdrawal.objects.get(pk=withdrawal.pk), clerk


def _reload(withdrawal: Withdrawal) -> Withdrawal:
    return Withdrawal.objects.get(pk=withdrawal.pk)


def test_below_the_threshold_one_clerk_pays():
    withdrawal, clerk = _approved(dongguan_agency(), "100000.00")

    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    assert _reload(withdrawal).state == Withdrawal.State.CLOSED


def test_from_the_threshold_the_payout_waits_and_nothing_moves():
    withdrawal, clerk = _approved(dongguan_agency(), "500.00")

    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    prepared = _reload(withdrawal)
    assert prepared.state == Withdrawal.State.PAYOUT_PREPARED
    assert prepared.prepared_by == clerk
    assert prepared.prepared_amount == Decimal("1000.00")
    assert prepared.account.balance == Decimal("1400.00")


def test_the_preparer_cannot_confirm_and_a_colleague_can():
    agency = dongguan_agency()
    withdrawal, clerk = _approved(agency, "500.00")
    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    with pytest.raises(CaseError) as refused:
        withdrawal_payout_confirm(withdrawal=_reload(withdrawal), by=clerk)
    withdrawal_payout_confirm(withdrawal=_reload(withdrawal), by=staff_user("supervisor", agency))

    assert refused.value.code == "forbidden"
    paid = _reload(withdrawal)
    assert paid.state == Withdrawal.State.CLOSED
    assert paid.payout_amount == Decimal("1000.00")
    assert paid.account.status == PersonalAccount.Status.CLOSED


def test_the_second_person_sends_it_back():
    agency = dongguan_agency()
    withdrawal, clerk = _approved(agency, "500.00")
    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    withdrawal_payout_send_back(
        withdrawal=_reload(withdrawal), by=staff_user("supervisor", agency), note="户名不符"
    )

    back = _reload(withdrawal)
    assert back.state == Withdrawal.State.APPROVED
    assert back.prepared_by is None


def test_the_progress_shows_the_payout_done_only_when_the_second_person_confirms():
    withdrawal, clerk = _approved(dongguan_agency(), "500.00")
    withdrawal_pay(withdrawal=withdrawal, by=clerk)
    prepared = [s.status for s in withdrawal_progress(_reload(withdrawal))]

    second = staff_user("clerk", withdrawal.case.agency, username="second-clerk")
    withdrawal_payout_confirm(withdrawal=withdrawal, by=second)

    assert prepared == ["done", "done", "done", "current", "upcoming"]
    assert [s.status for s in withdrawal_progress(_reload(withdrawal))] == ["done"] * 5
