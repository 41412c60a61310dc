"""Reads for transfers: the acceptance check, what a user may do now, the applicant's
progress, and the lists, each scoped to who is asking."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, cast

from django.db.models import QuerySet, Sum
from django.http import Http404

from accounts.models import (
    FundSource,
    LedgerEntry,
    PersonalAccount,
)
from cases.selectors import case_for
from transfers.check import reason_message, transfer_check
from transfers.models import Transfer

if TYPE_CHECKING:
    from accounts.models import User

ORIGIN, DESTINATION = "origin", "destination"


# --- the check (校验): transfers.check ----------------------------------------------------


def refusal_messages(transfer: Transfer, *, staff: bool = False) -> list[str]:
    return [reason_message(code, transfer, staff=staff) for code in transfer.refusal_codes]


def check_messages(transfer: Transfer) -> list[str]:
    """What the check finds, for the staff page."""
    return [reason_message(code, transfer, staff=True) for code in transfer_check(transfer).codes]


# --- money -------------------------------------------------------------------------------


def balance_split(account: PersonalAccount) -> tuple[Decimal, Decimal]:
    """(individually funded, employer-funded) parts of the balance. Debits carry no fund
    source; spending is taken from the individual part first, so the employer-funded part
    (never paid out) is never reported above what was allocated nor above the balance."""
    allocated = LedgerEntry.objects.filter(
        account=account,
        direction=LedgerEntry.Direction.CREDIT,
        fund_source=FundSource.EMPLOYER,
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    employer = min(account.balance, allocated)
    return account.balance - employer, employer


# --- who may do what ---------------------------------------------------------------------


def side_of(user: User, transfer: Transfer) -> str | None:
    """Which end of the transfer this staff user works at (origin wins when both are one)."""
    if user.agency_id is None:
        return None
    if user.agency_id == transfer.case.agency_id:
        return ORIGIN
    if user.agency_id == transfer.case.other_agency_id:
        return DESTINATION
    return None


# --- lists -------------------------------------------------------------------------------


def transfer_for(user: User, case_id: int) -> Transfer:
    """The transfer if this user may see its case (applicant: own; staff: either agency)."""
    case = case_for(user, case_id)
    transfer = (
        Transfer.objects.select_related(
            "case__person",
            "case__agency",
            "case__other_agency",
            "case__assignee",
            "origin_region",
            "destination_region",
        )
        .filter(case=case)
        .first()
    )
    if transfer is None:
        raise Http404
    return cast(Transfer, transfer)


def transfers_of_applicant(user: User) -> QuerySet[Transfer]:
    if user.person_id is None:
        return cast("QuerySet[Transfer]", Transfer.objects.none())
    return cast(
        "QuerySet[Transfer]",
        Transfer.objects.filter(case__person_id=user.person_id)
        .select_related("case", "origin_region", "destination_region")
        .order_by("-case__created_at"),
    )


def reconciliation_queue(user: User) -> QuerySet[Transfer]:
    """Mismatched credits waiting at the user's agency as destination."""
    if user.agency_id is None:
        return cast("QuerySet[Transfer]", Transfer.objects.none())
    return cast(
        "QuerySet[Transfer]",
        Transfer.objects.filter(
            case__other_agency_id=user.agency_id, state=Transfer.State.RECONCILIATION
        )
        .select_related("case__person", "case__agency", "mismatch", "origin_region")
        .order_by("mismatch__reported_at"),
    )
