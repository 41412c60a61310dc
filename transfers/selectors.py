"""Reads for transfers: the acceptance check, what a user may do now, the applicant's
progress, and the lists, each scoped to who is asking."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from django.db.models import QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.freezes.selectors import freeze_kinds
from accounts.models import (
    Enrollment,
    FundSource,
    LedgerEntry,
    PersonalAccount,
)
from cases.models import Deadline, DeadlineStep
from cases.selectors import case_for
from seals.peers import is_remote
from transfers.choices import MoneyMode, RefusalReason
from transfers.models import Transfer

if TYPE_CHECKING:
    from accounts.models import User

ORIGIN, DESTINATION = "origin", "destination"


# --- the check (校验) ---------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    codes: list[str]
    origin_enrollment: Enrollment | None
    destination_enrollment: Enrollment | None
    origin_account: PersonalAccount | None

    @property
    def passed(self) -> bool:
        return not self.codes


def _origin_enrollment(transfer: Transfer) -> Enrollment | None:
    """The latest enrollment of the person under the origin scheme in the origin area."""
    return (
        Enrollment.objects.filter(
            person_id=transfer.case.person_id,
            region_id=transfer.origin_region_id,
            scheme=transfer.origin_scheme,
        )
        .order_by("-start_date", "-id")
        .first()
    )


def _destination_enrollment(transfer: Transfer) -> Enrollment | None:
    return Enrollment.objects.filter(
        person_id=transfer.case.person_id,
        region_id=transfer.destination_region_id,
        scheme=transfer.destination_scheme,
        status=Enrollment.Status.ACTIVE,
    ).first()


def _account_codes(enrollment: Enrollment | None) -> tuple[list[str], PersonalAccount | None]:
    if enrollment is None:
        return [], None
    codes: list[str] = [RefusalReason.ORIGIN_IN_ARREARS] if enrollment.in_arrears else []
    account = PersonalAccount.objects.filter(enrollment=enrollment).first()
    if account is not None and account.status == PersonalAccount.Status.FROZEN:
        codes.append(RefusalReason.ORIGIN_ACCOUNT_FROZEN)
    if account is not None and account.status == PersonalAccount.Status.CLOSED:
        codes.append(RefusalReason.ORIGIN_ACCOUNT_CLOSED)
    return codes, account


def transfer_check(transfer: Transfer) -> CheckResult:
    """Every reason the application cannot be accepted, all at once (一次性告知)."""
    origin = _origin_enrollment(transfer)
    destination = _destination_enrollment(transfer)
    codes: list[str] = []
    if origin is None or origin.status != Enrollment.Status.STOPPED:
        codes.append(RefusalReason.ORIGIN_NOT_STOPPED)
    # A destination of another deployment checked its own enrollment when the application
    # was filed there (transfers.services.intake._forward_application).
    if destination is None and not is_remote(transfer.case.other_agency_id):
        codes.append(RefusalReason.DESTINATION_NOT_ACTIVE)
    account_codes, account = _account_codes(origin)
    codes += account_codes
    if transfer.origin_region_id == transfer.destination_region_id:
        codes.append(RefusalReason.SAME_AREA)
    return CheckResult(codes, origin, destination, account)


def reason_message(code: str, transfer: Transfer) -> str:
    """The reason in words for the applicant, in the language active when called."""
    values = {
        "origin": transfer.origin_region.name,
        "destination": transfer.destination_region.name,
    }
    messages: dict[str, str] = {
        RefusalReason.ORIGIN_NOT_STOPPED: _(
            "Your insurance in %(origin)s has not been stopped (停保): ask your employer or "
            "the agency there to stop it first."
        ),
        RefusalReason.DESTINATION_NOT_ACTIVE: _(
            "You are not enrolled (参保登记) in %(destination)s under the scheme you are "
            "moving to: enroll there first."
        ),
        RefusalReason.ORIGIN_IN_ARREARS: _(
            "Contributions are in arrears (欠费) in %(origin)s: pay them first."
        ),
        RefusalReason.ORIGIN_ACCOUNT_FROZEN: _(
            "Your personal account in %(origin)s is frozen (冻结)."
        ),
        RefusalReason.ORIGIN_ACCOUNT_CLOSED: _(
            "Your personal account in %(origin)s is closed (注销)."
        ),
        RefusalReason.SAME_AREA: _(
            "The origin and the destination are the same coordination area: nothing to transfer."
        ),
        RefusalReason.OTHER: _("Other reason given by the agency: %(note)s"),
    }
    values["note"] = transfer.refusal_note
    if code == RefusalReason.ORIGIN_ACCOUNT_FROZEN and (kinds := _origin_freeze_kinds(transfer)):
        return _("Your personal account in %(origin)s is frozen (冻结): %(kinds)s.") % {
            **values,
            "kinds": "、".join(kinds),
        }
    return messages.get(code, code) % values


def _origin_freeze_kinds(transfer: Transfer) -> list[str]:
    account = transfer.origin_account
    if account is None:
        account = PersonalAccount.objects.filter(enrollment=_origin_enrollment(transfer)).first()
    return freeze_kinds(account.pk) if account is not None else []


def refusal_messages(transfer: Transfer) -> list[str]:
    return [reason_message(code, transfer) for code in transfer.refusal_codes]


def check_messages(transfer: Transfer) -> list[str]:
    return [reason_message(code, transfer) for code in transfer_check(transfer).codes]


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


# --- the applicant's progress (办理进度) ---------------------------------------------------


@dataclass(frozen=True)
class ProgressStep:
    label: str
    done_on: datetime.date | None
    expected_on: datetime.date | None = None
    provisional: bool = False
    not_applicable: str = ""


def _due(deadlines: dict[str, Deadline], *steps: str) -> Deadline | None:
    for step in steps:
        if step in deadlines:
            return deadlines[step]
    return None


def progress_steps(transfer: Transfer) -> list[ProgressStep]:
    """收件 → 转出 → 转入 → 个账入账 → 办结, each with its date when done, else the date the
    deadlines give for it."""
    deadlines = {d.step: d for d in transfer.case.deadlines.all()}
    origin = _due(deadlines, DeadlineStep.TRANSFER_ORIGIN)
    later = _due(deadlines, DeadlineStep.TRANSFER_DESTINATION, DeadlineStep.TRANSFER_TOTAL)
    total = _due(deadlines, DeadlineStep.TRANSFER_TOTAL)
    # Only a moved balance is credited at the destination; otherwise say what happened.
    moved = transfer.money_mode in (MoneyMode.UNDECIDED, MoneyMode.MOVE)
    credit_na = "" if moved else str(MoneyMode(transfer.money_mode).label)
    plan = [
        (_("Application received (收件)"), transfer.applied_on, None),
        (_("Transfer out (转出)"), transfer.transferred_out_on, origin),
        (_("Transfer in (转入)"), transfer.transferred_in_on, later),
        (_("Account credited (个账入账)"), transfer.credited_on, later),
        (_("Completed (办结)"), transfer.completed_on, total),
    ]
    steps = []
    for index, (label, done, deadline) in enumerate(plan):
        expected = deadline.due_on if deadline is not None and done is None else None
        steps.append(
            ProgressStep(
                label=label,
                done_on=done,
                expected_on=expected,
                provisional=bool(deadline and deadline.provisional and expected),
                not_applicable=str(credit_na) if index == 3 else "",
            )
        )
    return steps


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
