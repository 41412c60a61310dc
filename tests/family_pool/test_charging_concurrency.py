"""Real threads on PostgreSQL, each with its own test client and database connection,
charging one holder's account through the HTTP interface at the same moment."""

from __future__ import annotations

import datetime
import threading
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test import Client

from accounts.models import LedgerEntry, LedgerTransaction
from accounts.selectors import ledger_differences
from family_pool.models import Binding, Charge, ChargePart, Relation
from tests.family_pool.factories import (
    account_of,
    bind,
    card,
    holder,
    institution_with_key,
    insured,
    post_charge,
    regions,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _race(jobs: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = jobs[i]()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever happened
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread is still blocked"
    return results


def test_fifty_concurrent_charges_never_overdraw_and_each_is_in_the_ledger_once():
    regions()
    _institution, key = institution_with_key(code="H-RACE", region_id="441900")
    owner = holder(balance="1000.00")
    with_quota = insured(birth=datetime.date(1950, 1, 1))
    sharer = insured(birth=datetime.date(1952, 1, 1))
    # A child with a small account of their own: own account first, then the parent's.
    child = holder(balance="40.00", birth=datetime.date(2005, 1, 1))
    quota_binding = bind(owner, with_quota, Relation.PARENT, quota="200.00")
    bind(owner, sharer, Relation.PARENT)
    bind(owner, child, Relation.CHILD)
    patients = [owner, with_quota, sharer, child]
    cards = {p.pk: card(p).number for p in patients}

    def charge(i: int) -> Callable[[], Any]:
        patient = patients[i % len(patients)]

        def job() -> Any:
            return post_charge(
                Client(), key, patient, cards[patient.pk], "30.00", settlement_number=f"C-{i}"
            )

        return job

    started = time.monotonic()
    responses = _race([charge(i) for i in range(50)])
    elapsed = time.monotonic() - started

    errors = [r for r in responses if isinstance(r, Exception)]
    assert errors == []
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 422}, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 422} <= {"insufficient_balance"}
    accepted = {r.json()["settlement_number"] for r in responses if r.status_code == 201}
    assert len(accepted) == statuses[201] == Charge.objects.count()
    # Every accepted charge is in the ledger once, part by part, and nowhere else.
    for charge_row in Charge.objects.prefetch_related("parts"):
        parts = list(charge_row.parts.all())
        assert sum(p.amount for p in parts) == charge_row.amount
        assert len({p.ledger_transaction_id for p in parts}) == len(parts)
    charge_txns = LedgerTransaction.objects.filter(kind="charge")
    assert charge_txns.count() == ChargePart.objects.count()
    charged = LedgerEntry.objects.filter(transaction__kind="charge")
    debited = charged.filter(account__isnull=False).aggregate(s=Sum("amount"))
    owed = charged.filter(clearing__kind="settlement").aggregate(s=Sum("amount"))
    assert debited["s"] == owed["s"] == Decimal("30.00") * len(accepted)
    # The balance never went below zero and still equals the sum of its entries.
    account = account_of(owner)
    assert account.balance >= 0
    assert not LedgerEntry.objects.filter(balance_after__lt=0).exists()
    assert ledger_differences() == []
    call_command("verify_ledger", verbosity=0)
    # The quota held: its relative never spent more than it, and its bookkeeping matches.
    spent = Binding.objects.get(pk=quota_binding.pk).spent
    assert spent <= Decimal("200.00")
    assert spent == ChargePart.objects.filter(binding=quota_binding).aggregate(s=Sum("amount"))["s"]
    # 1040 yuan in the two accounts, 30 per charge: the money ran out before the requests did.
    assert statuses[422] > 0
    assert elapsed < 20


def test_identical_requests_at_the_same_moment_charge_once():
    regions()
    _institution, key = institution_with_key(code="H-TWIN", region_id="441900")
    owner = holder(balance="100.00")
    number = card(owner).number

    responses = _race(
        [
            lambda: post_charge(Client(), key, owner, number, "10.00", settlement_number="TWIN")
            for _ in range(10)
        ]
    )

    assert [r for r in responses if isinstance(r, Exception)] == []
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert len({str(r.json()["payments"]) for r in responses}) == 1
    assert Charge.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="charge").count() == 1
    assert account_of(owner).balance == Decimal("90.00")
