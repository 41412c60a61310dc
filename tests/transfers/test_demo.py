from __future__ import annotations

import pytest

from accounts.demo import load_demo as load_accounts_demo
from accounts.models import User
from accounts.selectors import ledger_differences
from cases.models import CaseEvent
from cases.people import who
from cases.workflow import today
from transfers.demo import SCENARIOS, load_demo
from transfers.models import Transfer

pytestmark = pytest.mark.django_db


def test_the_demo_covers_every_state_with_due_and_overdue_cases_and_loads_once(all_regions):
    load_accounts_demo(persons_per_agency=14)

    first = load_demo()
    again = load_demo()

    open_cases = Transfer.objects.filter(case__closed_at__isnull=True)
    assert set(Transfer.objects.values_list("state", flat=True)) == set(Transfer.State.values)
    assert Transfer.objects.count() == len(SCENARIOS)
    assert open_cases.filter(case__due_on__lt=today()).exists()
    assert open_cases.filter(case__due_on__gte=today()).exists()
    assert Transfer.objects.filter(case__channel="online").exists()
    assert ledger_differences() == []
    assert f"{len(SCENARIOS)} demo transfers created" in first[0]
    assert "0 demo transfers created" in again[0]
    # The history holds no internal note of the demo, and its staff have people's names.
    assert not CaseEvent.objects.filter(reason__startswith="demo:").exists()
    clerk = User.objects.get(username="dongguan_clerk")
    assert who(clerk) == f"{clerk.last_name}{clerk.first_name}（受理员）"
