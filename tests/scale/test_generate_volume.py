"""`manage.py generate_volume` at 2,000 persons: the counts, valid and unique ID numbers, a
ledger that adds up, unique keys, pages that render for the generated cases, and the share of
deadlines the sweep finds due. Each test generates afresh (about 2 s) in its own rolled-back
transaction."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q, Sum
from django.urls import reverse

from accounts.idnumbers import parse_id_number
from accounts.models import (
    Enrollment,
    InsuredPerson,
    LedgerEntry,
    LedgerTransaction,
    PersonalAccount,
    User,
)
from accounts.selectors import ledger_differences
from cases.models import Case, CaseEvent, Deadline
from family_pool.models import Binding
from tests.ledger_check import assert_ledger_balanced
from transfers.models import Transfer
from withdrawals.models import EmergencyRefund, Withdrawal

PERSONS = 2_000
TODAY = datetime.date(2026, 11, 27)

pytestmark = pytest.mark.django_db

DETAIL = {
    "transfer": "transfers:detail",
    "withdrawal": "withdrawals:detail",
    "emergency_refund": "withdrawals:refund_detail",
    "family_binding": "family_pool:detail",
}


@pytest.fixture
def volume(all_regions):
    call_command("generate_volume", persons=PERSONS, scale=1.0, today=TODAY, seed=3, verbosity=0)


def test_it_writes_valid_people_a_ledger_that_adds_up_and_every_kind_of_case(volume):
    kinds = Counter(Case.objects.values_list("kind", flat=True))
    people = list(InsuredPerson.objects.values_list("id_number", "birth_date", "sex"))
    parsed = [parse_id_number(number) for number, _birth, _sex in people]
    per_txn = LedgerTransaction.objects.annotate(n=Count("entries")).aggregate(
        lonely=Count("id", filter=Q(n=0)), doubled=Count("id", filter=Q(n__gt=2))
    )
    personal_entries = LedgerEntry.objects.filter(account__isnull=False)
    credits = personal_entries.filter(direction="credit").aggregate(t=Sum("amount"))["t"]
    debits = personal_entries.filter(direction="debit").aggregate(t=Sum("amount"))["t"]
    closed = PersonalAccount.objects.filter(status=PersonalAccount.Status.CLOSED)

    assert len(people) == PERSONS
    assert len({p.number for p in parsed}) == PERSONS
    assert [(p.birth_date, p.sex) for p in parsed] == [(b, s) for _n, b, s in people]
    assert len({p.area_code[:2] for p in parsed}) >= 3  # several provinces
    # Entries on personal accounts; each has its counterpart on a clearing account.
    personal = LedgerEntry.objects.filter(account__isnull=False).count()
    assert 0.9 * 3 * PERSONS <= personal <= 1.1 * 3 * PERSONS
    assert LedgerEntry.objects.filter(clearing__isnull=False).count() == personal
    assert per_txn == {"lonely": 0, "doubled": 0}
    assert ledger_differences() == []
    assert_ledger_balanced()  # every transaction double-entry, the ledger sums to zero
    assert credits - debits == PersonalAccount.objects.aggregate(t=Sum("balance"))["t"]
    assert not LedgerEntry.objects.filter(balance_after__lt=0).exists()
    assert closed.exists()
    assert not closed.exclude(balance=0).exists()
    assert sum(kinds.values()) == 0.3 * PERSONS
    assert kinds["transfer"] == Transfer.objects.count() > 0
    assert kinds["withdrawal"] == Withdrawal.objects.count() > 0
    assert kinds["emergency_refund"] == EmergencyRefund.objects.count() > 0
    assert kinds["family_binding"] == Binding.objects.count() > 0
    assert CaseEvent.objects.count() > 2 * sum(kinds.values())


def test_its_money_and_relations_follow_the_rules_of_the_workflows(volume):
    moving = Transfer.objects.filter(amount_in_transit__gt=0).select_related("origin_account")
    paid = Withdrawal.objects.exclude(payout_amount=None).select_related("account")
    active = Enrollment.objects.filter(status="active").values("person").annotate(n=Count("id"))
    pairs = (
        Binding.objects.filter(state__in=Binding.OPEN_STATES)
        .values("holder", "relative")
        .annotate(n=Count("pk"))
    )

    assert moving.exists()
    assert all(t.origin_account.balance == 0 for t in moving)
    assert paid.exists()
    for withdrawal in paid:
        last = withdrawal.account.entries.order_by("-id")[0]
        assert (last.direction, last.amount) == ("debit", withdrawal.payout_amount)
        assert withdrawal.individual_part + withdrawal.employer_part == withdrawal.payout_amount
    assert not active.filter(n__gt=1).exists()
    assert not pairs.filter(n__gt=1).exists()
    assert not Binding.objects.filter(holder=F("relative")).exists()


def test_about_one_deadline_in_a_hundred_is_due_today_and_the_sweep_finds_exactly_those(
    volume,
):
    from cases.reminders import deadlines_sweep

    total = Deadline.objects.count()
    due = Deadline.objects.filter(status="open", next_sweep_on__lte=TODAY).count()

    swept = deadlines_sweep(on=TODAY)

    assert 0.005 * total <= due <= 0.02 * total
    assert swept.examined == due
    assert not Deadline.objects.filter(status="open", next_sweep_on__lte=TODAY).exists()


def test_the_case_pages_and_the_queue_render_for_generated_cases(volume, client):
    samples: dict[tuple[str, str], Case] = {}
    for case in Case.objects.select_related("agency").order_by("kind", "state", "pk"):
        samples.setdefault((case.kind, case.state), case)
    busiest = (
        Case.objects.filter(closed_at=None)
        .values("agency__region_id")
        .annotate(n=Count("id"))
        .order_by("-n")[0]["agency__region_id"]
    )

    for (kind, state), case in samples.items():
        client.force_login(User.objects.get(username=f"v{case.agency.region_id}_clerk"))
        response = client.get(reverse(DETAIL[kind], args=[case.pk]))
        assert response.status_code == 200, (kind, state, case.pk)
        applicant = User.objects.filter(person_id=case.person_id).first()
        if applicant is not None and kind != "family_binding":
            client.force_login(applicant)
            response = client.get(reverse(DETAIL[kind], args=[case.pk]))
            assert response.status_code == 200, ("applicant", kind, state, case.pk)
    client.force_login(User.objects.get(username=f"v{busiest}_clerk"))
    queue = client.get(reverse("cases:queue"))

    assert {kind for kind, _state in samples} == set(DETAIL)
    assert len(samples) >= 20
    assert queue.status_code == 200
    assert queue.context["page"].object_list
