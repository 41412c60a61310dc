"""Withdrawals while the account is frozen: refused at submission and at payout, with the kind."""

from __future__ import annotations

import pytest

from accounts.freezes.models import FreezeKind
from accounts.freezes.services import account_freeze, account_unfreeze
from cases.errors import CaseError
from tests.accounts.factories import staff_user
from tests.withdrawals.factories import account_in, dongguan_agency, submit, upload
from tests.withdrawals.test_payout import _approved
from withdrawals.models import Withdrawal
from withdrawals.payout import withdrawal_pay

pytestmark = pytest.mark.django_db


def _freeze(account, kind=FreezeKind.JUDICIAL):
    supervisor = staff_user("supervisor", account.enrollment.region.agencies.get())
    return account_freeze(
        account=account, kind=kind, reason="(2026)粤1971执保1号", document=upload(), by=supervisor
    )


def test_a_frozen_account_refuses_a_withdrawal_with_the_kind_of_freeze():
    account = account_in(dongguan_agency())
    _freeze(account)

    with pytest.raises(CaseError) as refused:
        submit(account)

    assert any("Judicial freeze" in reason for reason in refused.value.reasons)
    assert not any("执保" in reason for reason in refused.value.reasons)
    assert not Withdrawal.objects.exists()


def test_a_freeze_after_approval_stops_the_payout():
    account = account_in(dongguan_agency())
    withdrawal, clerk = _approved(account)
    _freeze(account, FreezeKind.DEATH_REPORTED)

    with pytest.raises(CaseError) as refused:
        withdrawal_pay(withdrawal=withdrawal, by=clerk)

    withdrawal.refresh_from_db()
    account.refresh_from_db()
    assert refused.value.code == "account_frozen"
    assert "Death reported" in refused.value.message
    assert withdrawal.state == Withdrawal.State.APPROVED
    assert account.balance > 0


def test_the_payout_goes_through_once_the_freeze_is_lifted():
    account = account_in(dongguan_agency())
    withdrawal, clerk = _approved(account)
    freeze = _freeze(account)
    account_unfreeze(freeze=freeze, reason="解除", document=upload(), by=freeze.set_by)

    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    withdrawal.refresh_from_db()
    assert withdrawal.state in (Withdrawal.State.PAID, Withdrawal.State.CLOSED)
