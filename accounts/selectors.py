"""Reads for people and accounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from accounts.freezes.models import AccountFreeze
from accounts.models import Enrollment, InsuredPerson, LedgerEntry, PersonalAccount, User
from accounts.roles import Role


def ledger_differences() -> list[tuple[int, Decimal, Decimal]]:
    """Accounts whose stored balance differs from the sum of their entries."""
    signed = Case(
        When(entries__direction=LedgerEntry.Direction.CREDIT, then=F("entries__amount")),
        When(entries__direction=LedgerEntry.Direction.DEBIT, then=-F("entries__amount")),
        default=Value(Decimal("0")),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )
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
