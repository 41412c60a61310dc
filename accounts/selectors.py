"""Reads for people and accounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from accounts.freezes.models import AccountFreeze
from accounts.models import (
    ClearingAccount,
    Enrollment,
    InsuredPerson,
    LedgerEntry,
    LedgerTransaction,
    PersonalAccount,
    User,
)
from accounts.roles import Role

_AMOUNT: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)


def _signed(prefix: str = "") -> Case:
    """An entry's amount with its sign: credits add to an account, debits take from it."""
    return Case(
        When(**{f"{prefix}direction": LedgerEntry.Direction.CREDIT}, then=F(f"{prefix}amount")),
        When(**{f"{prefix}direction": LedgerEntry.Direction.DEBIT}, then=-F(f"{prefix}amount")),
        default=Value(Decimal("0")),
        output_field=_AMOUNT,
    )


def unbalanced_transactions() -> list[tuple[int, Decimal]]:
    """Ledger transactions whose debits and credits differ (a one-sided movement among
    them), with the difference credits minus debits."""
    rows = (
        LedgerTransaction.objects.annotate(
            net=Coalesce(Sum(_signed("entries__")), Value(Decimal("0")), output_field=_AMOUNT)
        )
        .filter(~Q(net=0))
        .values_list("pk", "net")
        .order_by("pk")
    )
    return [(pk, net) for pk, net in rows]


def clearing_balances(*, region_ids: list[str] | None = None) -> dict[int, Decimal]:
    """Each clearing account's balance (credits minus debits), by its primary key."""
    accounts = ClearingAccount.objects.all()
    if region_ids is not None:
        accounts = accounts.filter(region_id__in=region_ids)
    rows = accounts.annotate(
        total=Coalesce(Sum(_signed("entries__")), Value(Decimal("0")), output_field=_AMOUNT)
    ).values_list("pk", "total")
    return {pk: total for pk, total in rows}


def ledger_total() -> Decimal:
    """Every entry with its sign: 0 when every transaction balances (a zero-sum ledger)."""
    total = LedgerEntry.objects.aggregate(
        total=Coalesce(Sum(_signed()), Value(Decimal("0")), output_field=_AMOUNT)
    )["total"]
    return Decimal(total)


def ledger_differences() -> list[tuple[int, Decimal, Decimal]]:
    """Accounts whose stored balance differs from the sum of their entries."""
    signed = _signed("entries__")
    rows = (
        PersonalAccount.objects.annotate(
            total=Coalesce(Sum(signed), Value(Decimal("0")), output_field=DecimalField())
        )
        .filter(~Q(balance=F("total")))
        .values_list("pk", "balance", "total")
        .order_by("pk")
    )
    return [(pk, balance, total) for pk, balance, total in rows]


def applicant_overview(*, person_id: int) -> dict[str, Any]:
    """The applicant's own enrollments and accounts, with their latest ledger entries."""
    person = InsuredPerson.objects.get(pk=person_id)
    enrollments = list(
        Enrollment.objects.filter(person_id=person_id)
        .select_related("region")
        .order_by("-start_date")
    )
    accounts = list(
        PersonalAccount.objects.filter(person_id=person_id)
        .select_related("enrollment__region")
        .order_by("-opened_at")
    )
    entries = list(
        LedgerEntry.objects.filter(account__person_id=person_id)
        .select_related("transaction", "account__enrollment__region")
        .order_by("-id")[:20]
    )
    rows = _with_freeze_kinds(accounts)
    return {"person": person, "enrollments": enrollments, "accounts": rows, "entries": entries}


@dataclass(frozen=True)
class AccountRow:
    account: PersonalAccount
    # The kinds of its active freezes in words; the agency's notes are not for the holder.
    freeze_kinds: list[str]


def _with_freeze_kinds(accounts: list[PersonalAccount]) -> list[AccountRow]:
    kinds: dict[int, list[str]] = {}
    active = AccountFreeze.objects.filter(account__in=accounts, lifted_at__isnull=True).order_by(
        "set_at", "pk"
    )
    for freeze in active:
        shown = kinds.setdefault(freeze.account_id, [])
        if (label := str(freeze.get_kind_display())) not in shown:
            shown.append(label)
    return [AccountRow(account, kinds.get(account.pk, [])) for account in accounts]


def staff_overview(*, user: User) -> dict[str, Any]:
    roles = [
        Role(name).label
        for name in user.groups.values_list("name", flat=True)
        if name in Role.values
    ]
    return {"agency": user.agency, "roles": roles}


def person_login(person: InsuredPerson) -> User | None:
    """The applicant login of an insured person, if they have one."""
    return User.objects.filter(person=person).first()
