from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections

from accounts.models import LedgerTransaction
from cases.errors import CaseError
from tests.withdrawals.factories import account_in, clerk_and_reviewer, dongguan_agency, submit
from withdrawals.models import Withdrawal
from withdrawals.payout import withdrawal_pay
from withdrawals.services import withdrawal_approve, withdrawal_first_review

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_payouts_at_the_same_moment_pay_once():
    agency = dongguan_agency()
    clerk, reviewer = clerk_and_reviewer(agency)
    withdrawal = submit(account_in(agency))
    withdrawal_first_review(withdrawal=withdrawal, by=clerk)
    withdrawal_approve(withdrawal=withdrawal, by=reviewer)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def pay():
        try:
            barrier.wait()
            withdrawal_pay(withdrawal=Withdrawal.objects.get(pk=withdrawal.pk), by=clerk)
        except CaseError as exc:  # pragma: no cover - would be a failure below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.WITHDRAWAL).count() == 1
    assert Withdrawal.objects.get(pk=withdrawal.pk).state == Withdrawal.State.CLOSED
