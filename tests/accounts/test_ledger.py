from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounts.clearing import clearing_of
from accounts.errors import AccountsError
from accounts.models import (
    ClearingAccount,
    FundSource,
    LedgerEntry,
    LedgerTransaction,
    PersonalAccount,
)
from accounts.money import clean_amount
from accounts.selectors import ledger_differences
from accounts.services import ledger_credit, ledger_debit, ledger_move
from tests.accounts.factories import PersonalAccountFactory, UserFactory, funded_account

pytestmark = pytest.mark.django_db

CONTRIBUTION = LedgerTransaction.Kind.CONTRIBUTION
CHARGE = LedgerTransaction.Kind.CHARGE


def _balance(account: PersonalAccount) -> Decimal:
    return PersonalAccount.objects.get(pk=account.pk).balance


def _with_status(account: PersonalAccount, status: str) -> PersonalAccount:
    PersonalAccount.objects.filter(pk=account.pk).update(status=status)
    account.refresh_from_db()
    return account


def _ledger_size() -> tuple[int, int]:
    return LedgerTransaction.objects.count(), LedgerEntry.objects.count()


def _debit(account, amount, **kwargs):
    # Untyped on purpose: the refusals below hand the service what a careless caller might.
    return ledger_debit(
        account=account,
        counter=clearing_of(account, ClearingAccount.Kind.SETTLEMENT),
        amount=amount,
        kind=CHARGE,
        **kwargs,
    )


def _credit(account, amount, fund_source=FundSource.INDIVIDUAL, **kwargs):
    return ledger_credit(
        account=account,
        counter=clearing_of(account, ClearingAccount.Kind.CONTRIBUTIONS),
        amount=amount,
        fund_source=fund_source,
        kind=CONTRIBUTION,
        **kwargs,
    )


# --- What the services write -------------------------------------------------------------


def test_a_credit_raises_the_balance_and_writes_one_entry_with_its_fund_source():
    account = PersonalAccountFactory.create()

    txn = _credit(account, Decimal("250.50"), fund_source=FundSource.EMPLOYER)

    # Double entry since issue #13: the contributions clearing of the fund pays for it.
    entry = txn.entries.get(account__isnull=False)
    counter = txn.entries.get(account__isnull=True)
    assert (counter.clearing.kind, counter.direction) == ("contributions", "debit")
    assert counter.amount == entry.amount
    assert _balance(account) == Decimal("250.50")
    assert txn.kind == CONTRIBUTION
    assert (entry.account_id, entry.direction) == (account.pk, LedgerEntry.Direction.CREDIT)
    assert (entry.amount, entry.fund_source) == (Decimal("250.50"), FundSource.EMPLOYER)
    assert entry.balance_after == Decimal("250.50")


def test_a_debit_lowers_the_balance_and_records_the_balance_after_it():
    account = funded_account("100.00")

    txn = _debit(account, "30.25")

    entry = txn.entries.get(account__isnull=False)
    counter = txn.entries.get(account__isnull=True)
    assert (counter.direction, counter.amount) == ("credit", Decimal("30.25"))
    assert _balance(account) == Decimal("69.75")
    assert (entry.direction, entry.amount) == (LedgerEntry.Direction.DEBIT, Decimal("30.25"))
    assert entry.fund_source is None
    assert entry.balance_after == Decimal("69.75")
    assert ledger_differences() == []


def test_a_debit_of_the_whole_balance_leaves_exactly_zero():
    account = funded_account("100.00")

    _debit(account, "100.00")

    assert _balance(account) == Decimal("0.00")


def test_a_move_is_one_transaction_whose_debit_equals_its_credit():
    source = funded_account("500.00")
    target = funded_account("20.00")
    before = _ledger_size()

    txn = ledger_move(
        source=source, target=target, amount=Decimal("120.00"), fund_source=FundSource.TRANSFER_IN
    )

    debit = txn.entries.get(direction=LedgerEntry.Direction.DEBIT)
    credit = txn.entries.get(direction=LedgerEntry.Direction.CREDIT)
    assert _ledger_size() == (before[0] + 1, before[1] + 2)
    assert txn.kind == LedgerTransaction.Kind.TRANSFER
    assert (debit.account_id, credit.account_id) == (source.pk, target.pk)
    assert debit.amount == credit.amount == Decimal("120.00")
    assert credit.fund_source == FundSource.TRANSFER_IN
    assert (debit.balance_after, credit.balance_after) == (Decimal("380.00"), Decimal("140.00"))
    assert (_balance(source), _balance(target)) == (Decimal("380.00"), Decimal("140.00"))
    assert ledger_differences() == []


def test_a_move_from_the_higher_to_the_lower_account_id_books_each_leg_on_its_account():
    first = funded_account("10.00")
    second = funded_account("90.00")

    txn = ledger_move(
        source=second, target=first, amount=Decimal("40.00"), fund_source=FundSource.REFUND
    )

    debit = txn.entries.get(direction=LedgerEntry.Direction.DEBIT)
    assert debit.account_id == second.pk
    assert (debit.balance_after, _balance(second), _balance(first)) == (
        Decimal("50.00"),
        Decimal("50.00"),
        Decimal("50.00"),
    )


def test_it_records_the_acting_user_and_the_memo():
    account = funded_account("10.00")
    clerk = UserFactory()

    txn = _debit(account, "1.00", by=clerk, memo="窗口扣款")

    assert (txn.created_by, txn.memo) == (clerk, "窗口扣款")


# --- Amounts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12.3", Decimal("12.30")), (5, Decimal("5.00")), (Decimal("0.01"), Decimal("0.01"))],
)
def test_a_clean_amount_is_quantized_to_cents(value, expected):
    amount = clean_amount(value)

    assert amount == expected
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "value",
    ["0", "0.00", "-0", "-1.00", "0.001", "1.005", "NaN", "sNaN", "Infinity", "-Infinity", "abc"],
)
def test_it_refuses_an_amount_that_is_not_a_positive_sum_of_cents(value):
    account = funded_account("100.00")

    with pytest.raises(AccountsError) as refused:
        _debit(account, value)

    assert refused.value.code == "amount_invalid"


def test_it_refuses_an_amount_too_large_for_the_ledger_with_a_refusal_not_a_crash():
    account = funded_account("100.00")

    with pytest.raises(AccountsError) as refused:
        _credit(account, "1e30")

    assert refused.value.code == "amount_invalid"


@pytest.mark.parametrize("service", [_credit, _debit])
def test_it_refuses_a_float_amount_outright(service):
    account = funded_account("100.00")

    with pytest.raises(TypeError):
        service(account, 7.0)

    assert _balance(account) == Decimal("100.00")


def test_it_refuses_a_credit_with_an_unknown_fund_source():
    account = PersonalAccountFactory.create()

    with pytest.raises(AccountsError) as refused:
        _credit(account, "10.00", fund_source="lottery")

    assert refused.value.code == "fund_source"


@pytest.mark.parametrize("fund_source", ["lottery", None])
def test_it_refuses_a_move_with_an_unknown_or_missing_fund_source(fund_source):
    source = funded_account("100.00")
    target = PersonalAccountFactory.create()

    with pytest.raises(AccountsError) as refused:
        ledger_move(source=source, target=target, amount=Decimal("10.00"), fund_source=fund_source)

    assert refused.value.code == "fund_source"
    assert _balance(source) == Decimal("100.00")


# --- Refusals ----------------------------------------------------------------------------


def test_it_refuses_a_debit_larger_than_the_balance():
    account = funded_account("100.00")

    with pytest.raises(AccountsError) as refused:
        _debit(account, "100.01")

    assert refused.value.code == "insufficient_balance"


def test_a_refused_debit_leaves_no_transaction_no_entry_and_the_balance_unchanged():
    account = funded_account("100.00")
    before = _ledger_size()

    with pytest.raises(AccountsError):
        _debit(account, "150.00", idempotency_key="refused-once")

    assert _ledger_size() == before
    assert not LedgerTransaction.objects.filter(idempotency_key="refused-once").exists()
    assert _balance(account) == Decimal("100.00")


def test_a_refused_move_leaves_both_accounts_and_the_ledger_unchanged():
    source = funded_account("100.00")
    target = _with_status(funded_account("5.00"), PersonalAccount.Status.CLOSED)
    before = _ledger_size()

    with pytest.raises(AccountsError) as refused:
        ledger_move(
            source=source, target=target, amount=Decimal("10.00"), fund_source=FundSource.REFUND
        )

    assert refused.value.code == "account_closed"
    assert _ledger_size() == before
    assert (_balance(source), _balance(target)) == (Decimal("100.00"), Decimal("5.00"))


def test_a_frozen_account_refuses_debits():
    account = _with_status(funded_account("100.00"), PersonalAccount.Status.FROZEN)

    with pytest.raises(AccountsError) as refused:
        _debit(account, "1.00")

    assert refused.value.code == "account_frozen"
    assert _balance(account) == Decimal("100.00")


def test_a_frozen_account_still_accepts_credits():
    account = _with_status(funded_account("100.00"), PersonalAccount.Status.FROZEN)

    _credit(account, "1.00")

    assert _balance(account) == Decimal("101.00")


@pytest.mark.parametrize("service", [_credit, _debit])
def test_a_closed_account_refuses_credits_and_debits(service):
    account = _with_status(funded_account("100.00"), PersonalAccount.Status.CLOSED)
    before = _ledger_size()

    with pytest.raises(AccountsError) as refused:
        service(account, "1.00")

    assert refused.value.code == "account_closed"
    assert _ledger_size() == before
    assert _balance(account) == Decimal("100.00")


def test_it_refuses_a_move_to_the_same_account():
    account = funded_account("100.00")

    with pytest.raises(AccountsError) as refused:
        ledger_move(
            source=account, target=account, amount=Decimal("1.00"), fund_source=FundSource.REFUND
        )

    assert refused.value.code == "same_account"
    assert _balance(account) == Decimal("100.00")


def test_it_judges_the_balance_in_the_database_not_a_stale_copy_in_memory():
    account = funded_account("100.00")
    stale = PersonalAccount.objects.get(pk=account.pk)
    _debit(account, "80.00")

    with pytest.raises(AccountsError) as refused:
        _debit(stale, "50.00")

    assert refused.value.code == "insufficient_balance"
    assert _balance(account) == Decimal("20.00")


# --- Idempotency -------------------------------------------------------------------------


def test_a_repeated_credit_with_the_same_key_returns_the_first_transaction_and_adds_nothing():
    account = PersonalAccountFactory.create()
    first = _credit(account, "30.00", idempotency_key="contribution-2026-05")
    before = _ledger_size()

    again = _credit(account, "30.00", idempotency_key="contribution-2026-05")

    assert again.pk == first.pk
    assert _ledger_size() == before
    assert _balance(account) == Decimal("30.00")


def test_a_repeated_move_with_the_same_key_returns_the_first_transaction_and_moves_nothing():
    source = funded_account("100.00")
    target = PersonalAccountFactory.create()

    def move():
        return ledger_move(
            source=source,
            target=target,
            amount=Decimal("40.00"),
            fund_source=FundSource.TRANSFER_IN,
            idempotency_key="settle-001",
        )

    first = move()

    again = move()

    assert again.pk == first.pk
    assert LedgerTransaction.objects.filter(idempotency_key="settle-001").count() == 1
    assert (_balance(source), _balance(target)) == (Decimal("60.00"), Decimal("40.00"))


def test_different_keys_are_different_transactions():
    account = PersonalAccountFactory.create()

    first = _credit(account, "1.00", idempotency_key="a")
    second = _credit(account, "1.00", idempotency_key="b")

    assert first.pk != second.pk
    assert _balance(account) == Decimal("2.00")


# --- The database holds the invariants too -----------------------------------------------


def test_the_database_refuses_a_negative_balance():
    account = funded_account("10.00")

    with pytest.raises(IntegrityError), transaction.atomic():
        PersonalAccount.objects.filter(pk=account.pk).update(balance=-1)

    assert _balance(account) == Decimal("10.00")


@pytest.mark.parametrize("amount", [Decimal("0.00"), Decimal("-5.00")])
def test_the_database_refuses_an_entry_amount_that_is_not_positive(amount):
    account = funded_account("10.00")
    txn = LedgerTransaction.objects.create(kind=LedgerTransaction.Kind.ADJUSTMENT)

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            transaction=txn,
            account=account,
            direction=LedgerEntry.Direction.DEBIT,
            amount=amount,
            balance_after=Decimal("10.00"),
        )

    assert not txn.entries.exists()


def test_the_database_refuses_a_credit_without_a_fund_source():
    account = funded_account("10.00")
    txn = LedgerTransaction.objects.create(kind=LedgerTransaction.Kind.ADJUSTMENT)

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            transaction=txn,
            account=account,
            direction=LedgerEntry.Direction.CREDIT,
            amount=Decimal("1.00"),
            fund_source=None,
            balance_after=Decimal("11.00"),
        )

    assert not txn.entries.exists()


def test_the_database_refuses_a_second_transaction_with_the_same_key():
    LedgerTransaction.objects.create(kind=CHARGE, idempotency_key="settle-9")

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.create(kind=CHARGE, idempotency_key="settle-9")

    assert LedgerTransaction.objects.filter(idempotency_key="settle-9").count() == 1
