"""The application, its check (受理 or 不予受理 with every reason) and 补件, at the origin
(docs/DOMAIN.md §2 steps 1–2)."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import (
    Agency,
    InsuredPerson,
    User,
)
from accounts.policy import policy_for
from accounts.selectors import person_login
from cases import steps, workflow
from cases.deadlines import deadline_close, deadline_start, deadlines_pause, deadlines_resume
from cases.documents import document_add
from cases.errors import CaseError
from cases.history import case_open
from cases.models import Case, CaseKind, Channel, DeadlineStep, DocumentKind
from seals.peers import is_remote
from transfers import notices
from transfers.check import reason_message, transfer_check
from transfers.choices import PayoutReason, RefusalReason, TransferType
from transfers.exchange.models import MessageKind
from transfers.exchange.outbox import announce
from transfers.exchange.wire import application_body
from transfers.models import Transfer
from transfers.precheck import application_reasons, open_transfer_reason, open_withdrawal_reason
from transfers.progress import transfer_limits
from transfers.services.base import day_or_today, locked

S = Transfer.State

# --- application -------------------------------------------------------------------------


def _check_payout(
    *, person: InsuredPerson, reason: str, origin: Agency, destination: Agency, bank: dict[str, str]
) -> None:
    if not reason:
        return
    problems = []
    if reason == PayoutReason.RELOCATED_RETIREE and (
        origin.region.province_code == destination.region.province_code
    ):
        problems.append(_("Only a cross-province relocated retiree may ask for the payout."))
    if not all(bank.get(k, "").strip() for k in ("bank_name", "number", "holder")):
        problems.append(_("Give the bank, the account number and the account holder."))
    elif bank["holder"].strip() != person.name:
        problems.append(
            _("The balance is paid only to an account in the applicant's own name (%(name)s).")
            % {"name": person.name}
        )
    if problems:
        raise CaseError(problems[0], code="payout", reasons=problems)


def _require_no_open_case(person: InsuredPerson) -> None:
    for code, reason in (
        ("duplicate", open_transfer_reason(person, you=False)),
        ("withdrawal_open", open_withdrawal_reason(person, you=False)),
    ):
        if reason:
            raise CaseError(reason, code=code)


def _require_intake_clerk(by: User, origin: Agency, destination: Agency) -> None:
    if not by.has_perm("cases.process_case") or by.agency_id not in (origin.pk, destination.pk):
        raise CaseError(
            _("Only a clerk of the origin or the destination agency may take in the application."),
            code="forbidden",
        )


@transaction.atomic
def transfer_apply(
    *,
    person: InsuredPerson,
    origin_agency: Agency,
    destination_agency: Agency,
    transfer_type: str,
    contact_phone: str,
    by: User,
    id_card_front: Any = None,
    id_card_back: Any = None,
    payout_reason: str = "",
    bank: dict[str, str] | None = None,
    on: datetime.date | None = None,
    note: str = "",
) -> Transfer:
    """File a transfer: online by the applicant (ID card photos both sides), or at the
    window of either agency by a clerk on the applicant's behalf."""
    online = by.person_id is not None
    if online and by.person_id != person.pk:
        raise CaseError(_("You can only apply for yourself."), code="forbidden")
    if not online:
        _require_intake_clerk(by, origin_agency, destination_agency)
    if online and (id_card_front is None or id_card_back is None):
        raise CaseError(_("Upload photos of both sides of your ID card."), code="id_photos")
    if transfer_type not in TransferType.values:
        raise CaseError(_("Choose the type of transfer."), code="bad_type")
    if transfer_type == TransferType.EMPLOYEE_TO_RESIDENT:
        # The resident scheme has no personal account: the balance can only go to the bank.
        payout_reason = PayoutReason.DESTINATION_CANNOT_TAKE
    bank = bank or {}
    workflow.person_lock(person)
    _check_payout(
        person=person,
        reason=payout_reason,
        origin=origin_agency,
        destination=destination_agency,
        bank=bank,
    )
    if online:
        # The applicant hears at once what the clerk would find at acceptance.
        reasons = application_reasons(
            person=person,
            origin=origin_agency,
            destination=destination_agency,
            transfer_type=transfer_type,
        )
        if reasons:
            raise CaseError(
                _("The application cannot be filed yet."), code="precheck", reasons=reasons
            )
    _require_no_open_case(person)
    case = case_open(
        kind=CaseKind.TRANSFER,
        person=person,
        agency=origin_agency,
        other_agency=destination_agency,
        channel=Channel.ONLINE if online else Channel.WINDOW,
        state=S.APPLIED,
        by=by,
        applicant=by if online else person_login(person),
        note=note,
    )
    transfer = Transfer.objects.create(
        case=case,
        transfer_type=transfer_type,
        origin_region=origin_agency.region,
        destination_region=destination_agency.region,
        contact_phone=contact_phone.strip(),
        payout_reason=payout_reason,
        bank_name=bank.get("bank_name", "").strip(),
        bank_account_number=bank.get("number", "").replace(" ", ""),
        bank_account_name=bank.get("holder", "").strip(),
        applied_on=day_or_today(on),
    )
    _forward_application(transfer)
    for kind, upload in (
        (DocumentKind.ID_CARD_FRONT, id_card_front),
        (DocumentKind.ID_CARD_BACK, id_card_back),
    ):
        if upload is not None:
            document_add(case=case, kind=kind, upload=upload, by=by)
    if not is_remote(case.agency_id):
        # An origin of another deployment keeps its own intake clock.
        start_intake_clock(transfer, by, start=transfer.applied_on)
    notices.received(transfer)
    return cast(Transfer, transfer)


def start_intake_clock(transfer: Transfer, by: User | None, *, start: datetime.date) -> None:
    """已收件: the origin has the region's working days to accept or refuse, from the day the
    application reached it (filed here, or received from the destination's system)."""
    policy = policy_for(transfer.origin_region)
    deadline_start(
        case=transfer.case,
        step=DeadlineStep.INTAKE,
        working_days=policy.transfer_intake_days,
        start=start,
        reminder_days_before=policy.reminder_days_before,
        by=by,
    )


def _forward_application(transfer: Transfer) -> None:
    """An application for an origin agency of another deployment is filed at the destination,
    which checks its own side here (the origin cannot see the destination's enrollments), and
    forwarded to the origin, which decides (docs/EXCHANGE.md)."""
    case = transfer.case
    if is_remote(case.other_agency_id):
        raise CaseError(
            _(
                "The destination agency runs another system: the application is filed there, "
                "and forwarded to this agency."
            ),
            code="file_at_destination",
        )
    if not is_remote(case.agency_id):
        return
    if RefusalReason.DESTINATION_NOT_ACTIVE in transfer_check(transfer).codes:
        raise CaseError(
            reason_message(RefusalReason.DESTINATION_NOT_ACTIVE, transfer),
            code="destination_not_active",
        )
    announce(case=case, kind=MessageKind.APPLICATION, body=application_body(transfer))


# --- check: accept or refuse -------------------------------------------------------------


@transaction.atomic
def transfer_accept(*, case: Case, by: User | None, on: datetime.date | None = None) -> Transfer:
    """受理: the check passes, the rows it looked at are fixed, the clocks start."""
    transfer = locked(case)
    found = transfer_check(transfer)
    # Whoever may refuse now is told why acceptance is closed, with every reason.
    if not found.passed and steps.allowed(transfer, transfer.refuse, by):
        reasons = [reason_message(code, transfer, staff=True) for code in found.codes]
        raise CaseError(
            _("The application cannot be accepted; refuse it with these reasons."),
            code="check_failed",
            reasons=reasons,
        )
    steps.require(transfer, transfer.accept, by)
    transfer.origin_enrollment = found.origin_enrollment
    transfer.destination_enrollment = found.destination_enrollment
    transfer.origin_account = found.origin_account
    day = day_or_today(on)
    steps.case_step(transfer, transfer.accept, by=by)(on=day)
    deadline_close(case=transfer.case, step=DeadlineStep.INTAKE)
    start_origin_clocks(transfer, day, by)
    notices.accepted(transfer)
    announce(case=transfer.case, kind=MessageKind.ACCEPTED, body={"on": day.isoformat()})
    return transfer


def start_origin_clocks(transfer: Transfer, day: datetime.date, by: User | None) -> None:
    policy = policy_for(transfer.origin_region)
    limits = transfer_limits(transfer.origin_region, transfer.destination_region)
    for step, days in (
        (DeadlineStep.TRANSFER_ORIGIN, limits.origin),
        (DeadlineStep.TRANSFER_TOTAL, limits.total),
    ):
        deadline_start(
            case=transfer.case,
            step=step,
            working_days=days,
            start=day,
            reminder_days_before=policy.reminder_days_before,
            by=by,
        )


@transaction.atomic
def transfer_refuse(
    *, case: Case, by: User | None, note: str = "", on: datetime.date | None = None
) -> Transfer:
    """不予受理 with every reason at once: all the check finds, plus the clerk's own."""
    transfer = locked(case)
    steps.require(transfer, transfer.refuse, by)
    codes = list(transfer_check(transfer).codes)
    note = note.strip()
    if note:
        codes.append(RefusalReason.OTHER)
    if not codes:
        raise CaseError(
            _("The check finds nothing against acceptance; write the reason for refusing."),
            code="no_reason",
        )
    day = day_or_today(on)
    steps.case_step(transfer, transfer.refuse, by=by, reason=note)(codes=codes, note=note, on=day)
    # Refusing answers the application as accepting would: the intake limit is met.
    deadline_close(case=transfer.case, step=DeadlineStep.INTAKE)
    deadline_close(case=transfer.case, met=False)
    notices.refused(transfer)
    announce(
        case=transfer.case,
        kind=MessageKind.REFUSED,
        body={"codes": codes, "note": note, "on": day.isoformat()},
    )
    return transfer


@transaction.atomic
def transfer_cancel(*, case: Case, by: User, on: datetime.date | None = None) -> Transfer:
    """Withdrawn by the applicant (or a clerk for them) before acceptance."""
    transfer = locked(case)
    if transfer.accepted_on is not None:
        raise CaseError(
            _("The application has been accepted and can no longer be cancelled."),
            code="accepted",
        )
    day = day_or_today(on)
    steps.case_step(transfer, transfer.cancel, by=by)(on=day)
    deadline_close(case=transfer.case, met=False)
    notices.cancelled(transfer)
    announce(case=transfer.case, kind=MessageKind.CANCELLED, body={"on": day.isoformat()})
    return transfer


# --- 补件: documents requested, clock paused ------------------------------------------------


@transaction.atomic
def transfer_request_documents(
    *, case: Case, by: User | None, note: str, on: datetime.date | None = None
) -> Transfer:
    transfer = locked(case)
    steps.require(transfer, transfer.request_documents, by)
    note = note.strip()
    if not note:
        raise CaseError(_("Say which documents are missing."), code="empty_note")
    steps.case_step(transfer, transfer.request_documents, by=by, reason=note)(note=note)
    day = day_or_today(on)
    deadlines_pause(case=transfer.case, by=by, on=day)
    notices.documents_requested(transfer)
    announce(
        case=transfer.case,
        kind=MessageKind.DOCUMENTS_REQUESTED,
        body={"note": note, "on": day.isoformat()},
    )
    return transfer


@transaction.atomic
def transfer_documents_received(
    *, case: Case, by: User, on: datetime.date | None = None
) -> Transfer:
    """The documents came (uploaded by the applicant or brought to the window): the clock
    runs again from today with the working days it had left."""
    transfer = locked(case)
    steps.case_step(transfer, transfer.documents_received, by=by)()
    policy = policy_for(transfer.origin_region)
    day = day_or_today(on)
    deadlines_resume(
        case=transfer.case, by=by, on=day, reminder_days_before=policy.reminder_days_before
    )
    announce(case=transfer.case, kind=MessageKind.DOCUMENTS_RECEIVED, body={"on": day.isoformat()})
    return transfer


@transaction.atomic
def transfer_documents_upload(*, case: Case, by: User, kind: str, upload: Any) -> Transfer:
    """The applicant sends a document; when the case was waiting for documents (补件), the
    clock runs again at once."""
    transfer = locked(case)
    if by.person_id != transfer.case.person_id:
        raise CaseError(_("You can only add documents to your own case."), code="forbidden")
    if transfer.case.closed_at is not None:
        raise CaseError(_("This case is closed; no more documents can be added."), code="closed")
    document_add(case=transfer.case, kind=kind, upload=upload, by=by)
    if transfer.state == S.DOCUMENTS_REQUESTED:
        return transfer_documents_received(case=case, by=by)
    return transfer
