from __future__ import annotations

import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.clearing import clearing_of
from accounts.models import (
    ClearingAccount,
    FundSource,
    LedgerEntry,
    LedgerTransaction,
    PersonalAccount,
)
from accounts.services import ledger_debit, ledger_move
from tests.accounts.factories import PersonalAccountFactory, funded_account

pytestmark = pytest.mark.django_db


def _consistent_ledger() -> tuple[PersonalAccount, PersonalAccount]:
    first = funded_account("300.00")
    second = funded_account("50.00", source=FundSource.EMPLOYER)
    ledger_move(source=first, target=second, amount=Decimal("80.00"), fund_source=FundSource.REFUND)
    ledger_debit(
        account=second,
        counter=clearing_of(second, ClearingAccount.Kind.SETTLEMENT),
        amount=Decimal("20.00"),
        kind="charge",
    )
    return first, second


def _tamper(account: PersonalAccount, balance: str) -> None:
    # A raw update bypasses the services: exactly the drift the command exists to catch.
    PersonalAccount.objects.filter(pk=account.pk).update(balance=Decimal(balance))


def _verify() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_ledger", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_passes_a_ledger_whose_balances_equal_their_entries():
    _consistent_ledger()

    out, err = _verify()

    assert "ledger ok" in out
    assert err == ""


def test_it_passes_an_account_without_any_entry_at_zero():
    PersonalAccountFactory.create()

    out, _err = _verify()

    assert "ledger ok" in out


def test_it_fails_and_names_the_account_whose_balance_was_tampered_with():
    first, second = _consistent_ledger()
    _tamper(second, "999.00")
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 account"):
        call_command("verify_ledger", stdout=io.StringIO(), stderr=err)

    assert f"account {second.pk}: balance 999.00 != entries 110.00" in err.getvalue()
    assert f"account {first.pk}:" not in err.getvalue()


def test_it_counts_every_account_that_differs():
    first, second = _consistent_ledger()
    _tamper(first, "0.00")
    _tamper(second, "1.00")
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 account"):
        call_command("verify_ledger", stdout=io.StringIO(), stderr=err)

    assert f"account {first.pk}:" in err.getvalue()
    assert f"account {second.pk}:" in err.getvalue()


def _run_in_a_subprocess() -> subprocess.CompletedProcess[str]:
    db = connection.settings_dict
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    url = f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url}
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py, no shell
        [sys.executable, "manage.py", "verify_ledger"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_zero_on_a_consistent_ledger_and_one_after_tampering():
    # transaction=True commits the rows, so the separate process sees them.
    _first, second = _consistent_ledger()

    clean = _run_in_a_subprocess()
    _tamper(second, "0.01")
    tampered = _run_in_a_subprocess()

    assert clean.returncode == 0, clean.stderr
    assert "ledger ok" in clean.stdout
    assert tampered.returncode == 1
    assert f"account {second.pk}: balance 0.01 != entries 110.00" in tampered.stderr


def test_it_fails_on_a_one_sided_entry_even_when_the_balance_follows_it():
    _consistent_ledger()
    account = funded_account("10.00")
    # Money from nowhere: a credit with no debit, the balance updated to match it.
    one_sided = LedgerTransaction.objects.create(kind=LedgerTransaction.Kind.ADJUSTMENT)
    LedgerEntry.objects.create(
        transaction=one_sided,
        account=account,
        direction=LedgerEntry.Direction.CREDIT,
        amount=Decimal("5.00"),
        fund_source=FundSource.INDIVIDUAL,
        balance_after=Decimal("15.00"),
    )
    _tamper(account, "15.00")
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 transaction"):
        call_command("verify_ledger", stdout=io.StringIO(), stderr=err)

    assert f"transaction {one_sided.pk}: credits - debits = 5.00" in err.getvalue()
    assert "all accounts together: 5.00, not 0" in err.getvalue()
    assert "account " not in err.getvalue()
