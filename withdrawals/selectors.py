"""Reads for withdrawals and emergency refunds, scoped to who is asking."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.choices import WithdrawalGround
from accounts.models import Agency, InsuredPerson, LedgerEntry, PersonalAccount
from accounts.policy import ResolvedPolicy, policy_for
from cases.models import CaseEvent
from cases.selectors import cases_visible_to
from withdrawals.models import EmergencyRefund, Withdrawal
from withdrawals.rules import ZERO, Computation, FundSplit, compute, split_balance

if TYPE_CHECKING:
    from accounts.models import User


def account_split(account: PersonalAccount) -> FundSplit:
    rows = (
        LedgerEntry.objects.filter(account_id=account.pk)
        .order_by("id")
        .values_list("direction", "amount", "fund_source")
    )
    return split_balance(rows)


def account_policy(account: PersonalAccount) -> ResolvedPolicy:
    return policy_for(account.enrollment.region)


def preview_computation(account: PersonalAccount, *, exempt_group: str = "") -> Computation:
    """What the applicant sees before submitting: outstanding costs are not known yet."""
    return compute(
        account_split(account),
        policy=account_policy(account),
        outstanding=ZERO,
        exempt_group=exempt_group,
    )


def withdrawal_computation(withdrawal: Withdrawal) -> Computation:
    account = withdrawal.account
    return compute(
        account_split(account),
        policy=account_policy(account),
        outstanding=withdrawal.outstanding_costs,
        exempt_group=withdrawal.fee_exempt_group,
    )


def agency_for(account: PersonalAccount) -> Agency | None:
    """The agency that runs the fund of the account's coordination area."""
    return (
        Agency.objects.filter(region_id=account.enrollment.region_id, is_active=True)
        .order_by("code")
        .first()
    )


def open_account_of(person: InsuredPerson) -> PersonalAccount | None:
    """The person's personal account that is not closed (there is at most one active
    enrollment, so at most one such account in practice)."""
    return (
        PersonalAccount.objects.filter(person=person)
        .exclude(status=PersonalAccount.Status.CLOSED)
        .select_related("enrollment__region", "person")
        .order_by("-opened_at", "-id")
        .first()
    )


def withdrawals_visible_to(user: User) -> QuerySet[Withdrawal]:
    rows: QuerySet[Withdrawal] = Withdrawal.objects.filter(
        case__in=cases_visible_to(user)
    ).select_related("case", "case__person", "account")
    return rows


def refunds_visible_to(user: User) -> QuerySet[EmergencyRefund]:
    rows: QuerySet[EmergencyRefund] = EmergencyRefund.objects.filter(
        case__in=cases_visible_to(user)
    ).select_related("case", "case__person", "account")
    return rows


@dataclass(frozen=True)
class ProgressStep:
    """One step of the step bar (templates/ui/stepbar.html)."""

    label: str
    date: datetime.datetime | None
    status: str  # done, current or upcoming
    note: str = ""


# The history actions that mark each step done; a payout above the region's amount for a
# second person is paid when that person confirms it (双人复核), not when it is prepared.
_PROGRESS_ACTIONS = {
    "first_review": "first_review",
    "approve": "approve",
    "pay": "pay",
    "confirm_payout": "pay",
    "close_account": "close_account",
}


def withdrawal_progress(withdrawal: Withdrawal) -> list[ProgressStep]:
    """办理进度: each step with the time it was done; the first step not done is the one in
    progress while the case is open."""
    done: dict[str, datetime.datetime] = {}
    for action, at in (
        CaseEvent.objects.filter(case_id=withdrawal.pk, action__in=list(_PROGRESS_ACTIONS))
        .order_by("at")
        .values_list("action", "at")
    ):
        done[_PROGRESS_ACTIONS[action]] = at
    plan: list[tuple[str, datetime.datetime | None]] = [
        (_("Submitted"), withdrawal.case.created_at),
        (_("First review"), done.get("first_review")),
        (_("Second review and approval"), done.get("approve")),
        # A step's name, not its outcome: it reads "in progress" until the money has gone.
        (_("Payout"), done.get("pay")),
        (_("Account closed"), done.get("close_account")),
    ]
    steps: list[ProgressStep] = []
    current_open = withdrawal.case.closed_at is None
    for label, when in plan:
        if when is not None:
            steps.append(ProgressStep(str(label), when, "done"))
            continue
        steps.append(ProgressStep(str(label), None, "current" if current_open else "upcoming"))
        current_open = False
    return steps


def allowed_grounds(account: PersonalAccount | None) -> list[str]:
    """The grounds to offer: those of the applicant's own region, and always a death (which
    concerns the deceased's region, checked when the application is made)."""
    own = set(account_policy(account).withdrawal_grounds) if account is not None else set()
    return [g for g in WithdrawalGround.values if g in own or g == WithdrawalGround.DEATH]


def shown_computation(withdrawal: Withdrawal) -> Computation:
    """What was paid once the payout is made (the account is empty then), else the amount
    as it stands now."""
    if withdrawal.payout_amount is None:
        return withdrawal_computation(withdrawal)
    individual = withdrawal.individual_part or ZERO
    employer = withdrawal.employer_part or ZERO
    fee = withdrawal.fee or ZERO
    return Computation(
        balance=individual + employer,
        individual_part=individual,
        employer_part=employer,
        outstanding_costs=withdrawal.outstanding_costs,
        fee=fee,
        fee_exempt=bool(withdrawal.fee_exempt_group) and fee == 0,
        payout=withdrawal.payout_amount,
    )
