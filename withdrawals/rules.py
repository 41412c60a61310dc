"""The rules of docs/DOMAIN.md §3 that need no database: which documents each ground needs, what
part of a balance may be paid out, the fee, and the bank card check.

How the individually funded part is found
-----------------------------------------
Credits carry their fund source: individual contributions, transfers in and refunds count
as the person's own money; employer-funded allocations never leave the fund. Debits carry
no source, so a rule must say which part each debit used. We walk the account's entries in
the order they were written and let every debit take the individually funded part first,
touching the employer part only when nothing individual is left at that moment.

Any other attribution (employer first, proportional) leaves at least as much individual
money and at most as much employer money on the account, so this rule is the one under
which no withdrawal can ever pay out employer money, whatever the debits really were.

Outstanding costs (欠费, overdraft) that staff enter and the region's fee are deducted from
the individual part: they are the person's debts, not the fund's.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accounts import validators
from accounts.choices import WithdrawalGround
from accounts.models import FundSource, LedgerEntry
from accounts.policy import ResolvedPolicy
from accounts.validators import card_check_digit_ok
from cases.models import DocumentKind

ZERO = Decimal("0.00")

# Every ground: both sides of the ID card and the bank card the money goes to.
COMMON_DOCUMENTS: tuple[str, ...] = (
    DocumentKind.ID_CARD_FRONT,
    DocumentKind.ID_CARD_BACK,
    DocumentKind.BANK_CARD,
)
GROUND_DOCUMENTS: dict[str, tuple[str, ...]] = {
    WithdrawalGround.SERIOUS_ILLNESS: (DocumentKind.DIAGNOSIS, DocumentKind.EXPENSE_LIST),
    WithdrawalGround.LEAVING_SCHEME: (DocumentKind.LEAVING_PROOF,),
    WithdrawalGround.LIVING_ELSEWHERE: (DocumentKind.RESIDENCE_FILING,),
    WithdrawalGround.DEATH: (DocumentKind.DEATH_CERTIFICATE, DocumentKind.INHERITANCE_PROOF),
    WithdrawalGround.EMIGRATION: (DocumentKind.EMIGRATION_PROOF,),
    WithdrawalGround.DESTINATION_REFUSES: (DocumentKind.REFUSAL_LETTER,),
    WithdrawalGround.RELOCATED_RETIREE: (DocumentKind.RETIREE_PROOF,),
}

# Grounds that need the enrollment stopped (停保/减员) and, if the region says so, a waiting
# period counted in months from the day it stopped (the enrollment's end date).
STOPPED_ENROLLMENT_GROUNDS = (WithdrawalGround.LEAVING_SCHEME, WithdrawalGround.EMIGRATION)

# Long residence elsewhere: no treatment in the enrollment region for this long.
NO_LOCAL_TREATMENT_MONTHS = 6

CREDIT_INDIVIDUAL = {FundSource.INDIVIDUAL, FundSource.TRANSFER_IN, FundSource.REFUND}


def required_documents(ground: str) -> tuple[str, ...]:
    return GROUND_DOCUMENTS.get(ground, ()) + COMMON_DOCUMENTS


def withdrawal_documents(case: Any) -> tuple[str, ...]:
    """The documents the case's ground asks for (its page lists these first)."""
    withdrawal = getattr(case, "withdrawal", None)
    return required_documents(withdrawal.ground) if withdrawal is not None else COMMON_DOCUMENTS


def missing_documents(ground: str, present: Iterable[str]) -> list[str]:
    have = set(present)
    return [kind for kind in required_documents(ground) if kind not in have]


def review_days(ground: str, policy: ResolvedPolicy) -> int:
    if ground == WithdrawalGround.SERIOUS_ILLNESS:
        return policy.withdrawal_serious_illness_review_days
    return policy.withdrawal_review_days


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day (31 Aug + 6 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def luhn_valid(number: str) -> bool:
    """The check digit most bank cards carry. A failure is a warning: some cards (and
    passbook accounts) carry none."""
    return card_check_digit_ok(number)


def clean_card_number(value: str) -> str:
    return validators.clean_card_number(value)


@dataclass(frozen=True)
class FundSplit:
    individual: Decimal
    employer: Decimal

    @property
    def balance(self) -> Decimal:
        return self.individual + self.employer


def split_balance(entries: Iterable[tuple[str, Decimal, str | None]]) -> FundSplit:
    """(direction, amount, fund_source) in the order written → the two parts of the balance.
    Debits take the individual part first (see the module docstring)."""
    individual = employer = ZERO
    for direction, amount, source in entries:
        if direction == LedgerEntry.Direction.CREDIT:
            if source in CREDIT_INDIVIDUAL:
                individual += amount
            else:
                employer += amount
            continue
        from_individual = min(amount, individual)
        individual -= from_individual
        employer -= amount - from_individual
    return FundSplit(individual=individual, employer=max(employer, ZERO))


@dataclass(frozen=True)
class Computation:
    balance: Decimal
    individual_part: Decimal
    employer_part: Decimal
    outstanding_costs: Decimal
    fee: Decimal
    fee_exempt: bool
    payout: Decimal

    @property
    def nothing_to_pay(self) -> bool:
        return self.payout <= 0


def fee_for(policy: ResolvedPolicy, exempt_group: str) -> tuple[Decimal, bool]:
    exempt = bool(exempt_group) and exempt_group in policy.withdrawal_fee_exempt_groups
    return (ZERO if exempt else policy.withdrawal_fee), exempt


def compute(
    split: FundSplit, *, policy: ResolvedPolicy, outstanding: Decimal, exempt_group: str
) -> Computation:
    fee, exempt = fee_for(policy, exempt_group)
    payout = split.individual - outstanding - fee
    return Computation(
        balance=split.balance,
        individual_part=split.individual,
        employer_part=split.employer,
        outstanding_costs=outstanding,
        fee=fee,
        fee_exempt=exempt,
        payout=max(payout, ZERO),
    )
