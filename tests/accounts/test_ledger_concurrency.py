"""Real threads on real PostgreSQL: each thread has its own connection and transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from accounts.clearing import clearing_of
from accounts.errors import AccountsError
from accounts.models import (
    ClearingAccount,
    FundSource,
    LedgerEntry,
    LedgerTransaction,
    PersonalAccount,
)
from accounts.selectors import ledger_differences
from accounts.services import ledger_credit, ledger_debit, ledger_move
from tests.accounts.factories import PersonalAccountFactory, funded_account

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


def _race(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run every job in its own thread, all released at once; each result is the job's
    return value or the exception it raised."""
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


def _balance(account: PersonalAccount) -> Decimal:
    return PersonalAccount.objects.get(pk=account.pk).balance


def test_concurrent_debits_never_overdraw_nor_lose_an_update():
    account = funded_account("100.00")

    def debit() -> LedgerTransaction:
        return ledger_debit(
            account=account,
            counter=clearing_of(account, ClearingAccount.Kind.SETTLEMENT),
            amount=Decimal("7.00"),
            kind="charge",
        )

    results = _race([debit] * THREADS)

    done = [r for r in results if isinstance(r, LedgerTransaction)]
    refused = [r for r in results if isinstance(r, AccountsError)]
    assert [r for r in results if not isinstance(r, LedgerTransaction | AccountsError)] == []
    assert (len(done), len(refused)) == (14, 6)
    assert {r.code for r in refused} == {"insufficient_balance"}
    balance = _balance(account)
    assert balance >= 0
    assert balance == Decimal("100.00") - Decimal("7.00") * len(done)
    assert ledger_differences() == []
    debits = LedgerEntry.objects.filter(account=account, direction=LedgerEntry.Direction.DEBIT)
    assert debits.count() == len(done)
    assert sorted(debits.values_list("balance_after", flat=True)) == [
        Decimal(2 + 7 * i) for i in range(14)
    ]


def test_opposite_moves_between_two_accounts_do_not_deadlock_and_keep_the_total():
    a = funded_account("1000.00")
    b = funded_account("1000.00")

    def move(source: PersonalAccount, target: PersonalAccount) -> Callable[[], Any]:
        return lambda: ledger_move(
            source=source, target=target, amount=Decimal("10.00"), fund_source=FundSource.REFUND
        )

    results = _race([move(a, b) if i % 2 else move(b, a) for i in range(THREADS)])

    assert [r for r in results if not isinstance(r, LedgerTransaction)] == []
    assert _balance(a) + _balance(b) == Decimal("2000.00")
    assert (_balance(a), _balance(b)) == (Decimal("1000.00"), Decimal("1000.00"))
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.TRANSFER).count() == 20
    assert ledger_differences() == []


def test_two_posts_with_the_same_key_at_once_make_exactly_one_transaction():
    account = PersonalAccountFactory.create()

    def credit() -> LedgerTransaction:
        return ledger_credit(
            account=account,
            counter=clearing_of(account, ClearingAccount.Kind.CONTRIBUTIONS),
            amount=Decimal("55.00"),
            fund_source=FundSource.INDIVIDUAL,
            kind="contribution",
            idempotency_key="settlement-2026-0001",
        )

    results = _race([credit, credit])

    assert all(isinstance(r, LedgerTransaction) for r in results), results
    assert results[0].pk == results[1].pk
    assert LedgerTransaction.objects.filter(idempotency_key="settlement-2026-0001").count() == 1
    assert LedgerEntry.objects.filter(account=account).count() == 1
    assert _balance(account) == Decimal("55.00")
