"""ledger_debit_many: several debits in one statement, each its own ledger transaction found by
its key, with the same rules as a single debit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from accounts.clearing import clearing_account
from accounts.errors import AccountsError
from accounts.models import ClearingAccount, LedgerEntry, LedgerTransaction, PersonalAccount
from accounts.selectors import ledger_differences, unbalanced_transactions
from accounts.services import ClearingKey, ledger_debit_many
from tests.accounts.factories import funded_account

pytestmark = pytest.mark.django_db

SETTLEMENT = ClearingKey("441900", ClearingAccount.Kind.SETTLEMENT)


def _locked(*accounts: PersonalAccount) -> dict[int, PersonalAccount]:
    clearing_account(region_id=SETTLEMENT.region_id, kind=SETTLEMENT.kind)
    ids = sorted(a.pk for a in accounts)
    return {a.pk: a for a in PersonalAccount.objects.select_for_update().filter(pk__in=ids)}


def test_each_debit_is_a_transaction_with_its_key_and_balances_follow():
    first = funded_account("100.00")
    second = funded_account("50.00")

    with transaction.atomic():
        ledger_debit_many(
            accounts=_locked(first, second),
            debits=[
                (second.pk, Decimal("20.00"), "test:a"),
                (first.pk, Decimal("30.00"), "test:b"),
                (second.pk, Decimal("5.50"), "test:c"),
            ],
            kind=LedgerTransaction.Kind.CHARGE,
            counter=SETTLEMENT,
            memo="three debits",
        )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.balance, second.balance) == (Decimal("70.00"), Decimal("24.50"))
    keyed = {
        t.idempotency_key: t
        for t in LedgerTransaction.objects.filter(idempotency_key__startswith="test:")
    }
    assert sorted(keyed) == ["test:a", "test:b", "test:c"]
    assert {t.kind for t in keyed.values()} == {LedgerTransaction.Kind.CHARGE}
    # The second account's entries in the order given, each with the running balance.
    entries = LedgerEntry.objects.filter(account=second, direction="debit").order_by("pk")
    assert [(e.transaction.idempotency_key, e.amount, e.balance_after) for e in entries] == [
        ("test:a", Decimal("20.00"), Decimal("30.00")),
        ("test:c", Decimal("5.50"), Decimal("24.50")),
    ]
    assert ledger_differences() == []
    assert unbalanced_transactions() == []


@pytest.mark.parametrize(
    ("status", "amount", "code"),
    [
        (PersonalAccount.Status.NORMAL, "100.01", "insufficient_balance"),
        (PersonalAccount.Status.FROZEN, "1.00", "account_frozen"),
        (PersonalAccount.Status.CLOSED, "1.00", "account_closed"),
    ],
)
def test_a_debit_the_rules_refuse_writes_nothing(status, amount, code):
    account = funded_account("100.00")
    PersonalAccount.objects.filter(pk=account.pk).update(status=status)

    with pytest.raises(AccountsError) as refused, transaction.atomic():
        ledger_debit_many(
            accounts=_locked(account),
            debits=[(account.pk, Decimal(amount), "test:refused")],
            kind=LedgerTransaction.Kind.CHARGE,
            counter=SETTLEMENT,
        )

    assert refused.value.code == code
    assert not LedgerTransaction.objects.filter(idempotency_key="test:refused").exists()
    account.refresh_from_db()
    assert account.balance == Decimal("100.00")


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_run_outside_the_callers_transaction():
    account = funded_account("10.00")

    with pytest.raises(RuntimeError):
        ledger_debit_many(
            accounts={account.pk: account},
            debits=[(account.pk, Decimal("1.00"), "test:outside")],
            kind=LedgerTransaction.Kind.CHARGE,
            counter=SETTLEMENT,
        )
    account.refresh_from_db()
    assert account.balance == Decimal("10.00")
