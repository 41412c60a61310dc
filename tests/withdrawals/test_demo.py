from __future__ import annotations

import pytest

from accounts.demo import load_demo as load_accounts_demo
from cases.models import Case, CaseKind
from withdrawals.demo import PLANS, load_demo
from withdrawals.models import EmergencyRefund, Withdrawal

pytestmark = pytest.mark.django_db

KINDS = [CaseKind.WITHDRAWAL, CaseKind.EMERGENCY_REFUND]


def test_the_demo_has_a_case_in_each_state_and_a_second_load_creates_nothing(all_regions):
    load_accounts_demo(persons_per_agency=12)

    first = load_demo()
    created = Case.objects.filter(kind__in=KINDS).count()
    again = load_demo()

    assert set(Withdrawal.objects.values_list("state", flat=True)) == {t for _g, t in PLANS}
    assert set(EmergencyRefund.objects.values_list("state", flat=True)) == {
        "submitted",
        "credited",
    }
    assert any("dongguan_clerk" in line for line in first)
    assert created == len(PLANS) + 2
    assert Case.objects.filter(kind__in=KINDS).count() == created
    assert all("already there" in line for line in again if line.startswith("  "))
