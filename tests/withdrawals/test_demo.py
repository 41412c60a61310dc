from __future__ import annotations

import pytest

from accounts.demo import load_demo as load_accounts_demo
from cases.models import Case, CaseKind
from withdrawals.demo import PLANS, load_demo
from withdrawals.models import EmergencyRefund, Withdrawal

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(all_regions):
    load_accounts_demo(persons_per_agency=12)
    return load_demo()


def test_the_demo_has_a_withdrawal_in_each_state_and_refunds(demo):
    states = set(Withdrawal.objects.values_list("state", flat=True))

    assert states == {target for _ground, target in PLANS}
    assert set(EmergencyRefund.objects.values_list("state", flat=True)) == {
        "submitted",
        "credited",
    }
    assert any("dongguan_clerk" in line for line in demo)


def test_loading_the_demo_again_creates_nothing(demo):
    before = Case.objects.filter(kind__in=[CaseKind.WITHDRAWAL, CaseKind.EMERGENCY_REFUND]).count()

    lines = load_demo()

    after = Case.objects.filter(kind__in=[CaseKind.WITHDRAWAL, CaseKind.EMERGENCY_REFUND]).count()
    assert after == before == len(PLANS) + 2
    assert all("already there" in line for line in lines if line.startswith("  "))
