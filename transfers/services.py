"""Every state change of a transfer (DOMAIN.md §2, 医保办发〔2021〕43号).

Each service locks the transfer row, checks who is acting and from which end, moves money
through the ledger services, runs the FSM transition through `case_transition` (history
row included) and writes deadlines and notifications in the same transaction.

Money invariant: from the transfer-out to the credit, origin balance + destination balance
+ `amount_in_transit` never changes (plus the payout in the bank branch)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any, cast

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import AccountsError
from accounts.models import (
    Agency,
    Enrollment,
    FundSource,
    InsuredPerson,
    LedgerTransaction,
    PersonalAccount,
    Scheme,
    User,
)
from accounts.money import clean_amount
from accounts.policy import policy_for
from accounts.selectors import person_login
from accounts.services import account_close, enrollment_end, ledger_credit, ledger_debit
from accounts.signals import CoverageEnd, coverage_ended
from cases import services as cases
from cases.errors import CaseError
from cases.models import Case, CaseKind, Channel, DeadlineStep, DocumentKind
from transfers import notices
from transfers.infotable import build_content
from transfers.models import (
    BankPayout,
    CreditMismatch,
    InfoTable,
    MoneyMode,
    PayoutReason,
    RefusalReason,
    Transfer,
    TransferType,
)
from transfers.seal import SealError, seal, verify
from transfers.selectors import DESTINATION, ORIGIN, balance_split, side_of, transfer_check

S = Transfer.State


def _day(on: datetime.date | None) -> datetime.date:
    return on or cases.today()


def _locked(case: Case) -> Transfer:
    """The transfer row of the case, locked until the transaction ends."""
    return cast(Transfer, Transfer.objects.select_for_update().get(pk=case.pk))


def _require_side(transfer: Transfer, by: User | None, side: str) -> None:
    if by is None:
        return
    if side_of(by, transfer) != side:
        message = (
            _("Only staff of the origin agency may take this step.")
            if side == ORIGIN
            else _("Only staff of the destination agency may take this step.")
        )
        raise CaseError(message, code="wrong_agency")
    # Every staff step of a transfer is a clerk's (a supervisor's includes it): a reviewer,
    # an auditor or a system administrator of the right agency still may not take one.
    if not by.has_perm("cases.process_case"):
        raise CaseError(_("You may not take this step on this case."), code="forbidden")


def _require_state(transfer: Transfer, *states: str) -> None:
    """Checked before any money moves, so that a refused step has touched nothing."""
    if transfer.state not in states:
        raise CaseError(
            _("This step is not possible while the case is “%(state)s”.")
            % {"state": transfer.get_state_display()},
            code="wrong_state",
        )


def _ledger(call: Callable[[], LedgerTransaction]) -> LedgerTransaction:
    try:
        return call()
    except AccountsError as exc:
        raise CaseError(exc.message, code=exc.code) from exc


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


def _require_no_open_transfer(person: InsuredPerson) -> None:
    if Transfer.objects.filter(case__person=person, case__closed_at__isnull=True).exists():
        raise CaseError(
            _("There is already an open transfer for this person; follow or cancel it first."),
            code="duplicate",
        )


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
    cases.person_lock(person)
    _check_payout(
        person=person,
        reason=payout_reason,
        origin=origin_agency,
        destination=destination_agency,
        bank=bank,
    )
    _require_no_open_transfer(person)
    case = cases.case_open(
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
        applied_on=_day(on),
    )
    for kind, upload in (
        (DocumentKind.ID_CARD_FRONT, id_card_front),
        (DocumentKind.ID_CARD_BACK, id_card_back),
    ):
        if upload is not None:
            cases.document_add(case=case, kind=kind, upload=upload, by=by)
    return cast(Transfer, transfer)


# --- check: accept or refuse -------------------------------------------------------------


@transaction.atomic
def transfer_accept(*, case: Case, by: User | None, on: datetime.date | None = None) -> Transfer:
    """受理: the check passes, the rows it looked at are fixed, the clocks start."""
    transfer = _locked(case)
    _require_side(transfer, by, ORIGIN)
    _require_state(transfer, S.APPLIED)
    found = transfer_check(transfer)
    if not found.passed:
        from transfers.selectors import reason_message

        reasons = [reason_message(code, transfer) for code in found.codes]
        raise CaseError(
            _("The application cannot be accepted; refuse it with these reasons."),
            code="check_failed",
            reasons=reasons,
        )
    transfer.origin_enrollment = found.origin_enrollment
    transfer.destination_enrollment = found.destination_enrollment
    transfer.origin_account = found.origin_account
    day = _day(on)
    cases.case_transition(obj=transfer, transition="accept", by=by, on=day)
    _start_origin_clocks(transfer, day, by)
    notices.accepted(transfer)
    return transfer


def _start_origin_clocks(transfer: Transfer, day: datetime.date, by: User | None) -> None:
    policy = policy_for(transfer.origin_region)
    for step, days in (
        (DeadlineStep.TRANSFER_ORIGIN, policy.transfer_origin_days),
        (DeadlineStep.TRANSFER_TOTAL, policy.transfer_total_days),
    ):
        cases.deadline_start(
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
    transfer = _locked(case)
    _require_side(transfer, by, ORIGIN)
    _require_state(transfer, S.APPLIED)
    codes = list(transfer_check(transfer).codes)
    note = note.strip()
    if note:
        codes.append(RefusalReason.OTHER)
    if not codes:
        raise CaseError(
            _("The check finds nothing against acceptance; write the reason for refusing."),
            code="no_reason",
        )
    cases.case_transition(
        obj=transfer, transition="refuse", by=by, reason=note, codes=codes, note=note, on=_day(on)
    )
    cases.deadline_close(case=transfer.case, met=False)
    notices.refused(transfer)
    return transfer


@transaction.atomic
def transfer_cancel(*, case: Case, by: User, on: datetime.date | None = None) -> Transfer:
    """Withdrawn by the applicant (or a clerk for them) before acceptance."""
    transfer = _locked(case)
    if by.person_id is not None and by.person_id != transfer.case.person_id:
        raise CaseError(_("You can only cancel your own application."), code="forbidden")
    if by.person_id is None and (
        side_of(by, transfer) is None or not by.has_perm("cases.process_case")
    ):
        raise CaseError(_("You may not cancel this application."), code="forbidden")
    if transfer.accepted_on is not None:
        raise CaseError(
            _("The application has been accepted and can no longer be cancelled."),
            code="accepted",
        )
    cases.case_transition(obj=transfer, transition="cancel", by=by, on=_day(on))
    cases.deadline_close(case=transfer.case, met=False)
    notices.cancelled(transfer)
    return transfer


# --- 补件: documents requested, clock paused ------------------------------------------------


@transaction.atomic
def transfer_request_documents(
    *, case: Case, by: User | None, note: str, on: datetime.date | None = None
) -> Transfer:
    transfer = _locked(case)
    _require_side(transfer, by, ORIGIN)
    note = note.strip()
    if not note:
        raise CaseError(_("Say which documents are missing."), code="empty_note")
    cases.case_transition(
        obj=transfer, transition="request_documents", by=by, reason=note, note=note
    )
    cases.deadlines_pause(case=transfer.case, by=by, on=_day(on))
    notices.documents_requested(transfer)
    return transfer


@transaction.atomic
def transfer_documents_received(
    *, case: Case, by: User, on: datetime.date | None = None
) -> Transfer:
    """The documents came (uploaded by the applicant or brought to the window): the clock
    runs again from today with the working days it had left."""
    transfer = _locked(case)
    if by.person_id is not None:
        if by.person_id != transfer.case.person_id:
            raise CaseError(_("You can only add documents to your own case."), code="forbidden")
    else:
        _require_side(transfer, by, ORIGIN)
    if not by.has_perm("cases.process_case") and by.person_id is None:
        raise CaseError(_("You may not take this step on this case."), code="forbidden")
    cases.case_transition(obj=transfer, transition="documents_received", by=by)
    policy = policy_for(transfer.origin_region)
    cases.deadlines_resume(
        case=transfer.case,
        by=by,
        on=_day(on),
        reminder_days_before=policy.reminder_days_before,
    )
    return transfer


@transaction.atomic
def transfer_documents_upload(*, case: Case, by: User, kind: str, upload: Any) -> Transfer:
    """The applicant sends a document; when the case was waiting for documents (补件), the
    clock runs again at once."""
    transfer = _locked(case)
    if by.person_id != transfer.case.person_id:
        raise CaseError(_("You can only add documents to your own case."), code="forbidden")
    if transfer.case.closed_at is not None:
        raise CaseError(_("This case is closed; no more documents can be added."), code="closed")
    cases.document_add(case=transfer.case, kind=kind, upload=upload, by=by)
    if transfer.state == S.DOCUMENTS_REQUESTED:
        return transfer_documents_received(case=case, by=by)
    return transfer


# --- transfer out at the origin ----------------------------------------------------------


def _money_mode(transfer: Transfer, account: PersonalAccount | None) -> str:
    if account is None or account.balance == 0:
        return MoneyMode.NONE
    if transfer.payout_reason or transfer.destination_scheme != Scheme.EMPLOYEE:
        return MoneyMode.PAYOUT
    same_province = transfer.origin_region.province_code == (
        transfer.destination_region.province_code
    )
    if same_province and policy_for(transfer.origin_region).balance_portable_in_province:
        return MoneyMode.PORTABLE
    return MoneyMode.MOVE


def _issue_table(
    transfer: Transfer, account: PersonalAccount | None, mode: str, day: datetime.date, by: Any
) -> InfoTable:
    split = balance_split(account) if account is not None else (Decimal("0"), Decimal("0"))
    content = build_content(
        transfer=transfer, account=account, split=split, money_mode=mode, on=day
    )
    signature, kid = seal(content)
    return InfoTable.objects.create(
        transfer=transfer, content=content, signature=signature, key_id=kid, issued_by=by
    )


def _send_balance(
    transfer: Transfer, account: PersonalAccount | None, mode: str, day: datetime.date, by: Any
) -> Decimal:
    """Debit the origin; the amount now in transit (0 when paid out or not moved)."""
    if account is None or mode in (MoneyMode.NONE, MoneyMode.PORTABLE):
        return Decimal("0.00")
    amount = account.balance
    key = f"transfer:{transfer.case_id}:{mode}"
    if mode == MoneyMode.MOVE:
        _ledger(
            lambda: ledger_debit(
                account=account,
                amount=amount,
                kind=LedgerTransaction.Kind.TRANSFER,
                by=by,
                memo=f"{transfer.case.reference} transfer out",
                idempotency_key=key,
            )
        )
        return amount
    _pay_to_bank(transfer, account, amount, key, day, by)
    return Decimal("0.00")


def _pay_to_bank(
    transfer: Transfer,
    account: PersonalAccount,
    amount: Decimal,
    key: str,
    day: datetime.date,
    by: Any,
) -> BankPayout:
    if not (transfer.bank_account_number and transfer.bank_account_name):
        raise CaseError(
            _("No bank account of the applicant is on file for the payout; ask for it (补件)."),
            code="no_bank_account",
        )
    txn = _ledger(
        lambda: ledger_debit(
            account=account,
            amount=amount,
            kind=LedgerTransaction.Kind.WITHDRAWAL,
            by=by,
            memo=f"{transfer.case.reference} transfer payout to bank",
            idempotency_key=key,
        )
    )
    return BankPayout.objects.create(
        transfer=transfer,
        amount=amount,
        bank_name=transfer.bank_name,
        account_number=transfer.bank_account_number,
        account_name=transfer.bank_account_name,
        ledger_transaction=txn,
        paid_on=day,
        created_by=by,
    )


@transaction.atomic
def transfer_out(*, case: Case, by: User | None, on: datetime.date | None = None) -> Transfer:
    """转出: issue and seal the 信息表, send the balance (or pay it to the bank), and start
    the destination's clock from the table's receipt."""
    transfer = _locked(case)
    _require_side(transfer, by, ORIGIN)
    _require_state(transfer, S.ACCEPTED)
    day = _day(on)
    # Locked before its balance is read: a charge cannot slip between table and debit.
    account = cases.lock(transfer.origin_account) if transfer.origin_account else None
    mode = _money_mode(transfer, account)
    _issue_table(transfer, account, mode, day, by)
    in_transit = _send_balance(transfer, account, mode, day, by)
    cases.case_transition(
        obj=transfer, transition="transfer_out", by=by, mode=mode, in_transit=in_transit, on=day
    )
    cases.deadline_close(case=transfer.case, step=DeadlineStep.TRANSFER_ORIGIN, met=True)
    policy = policy_for(transfer.destination_region)
    cases.deadline_start(
        case=transfer.case,
        step=DeadlineStep.TRANSFER_DESTINATION,
        working_days=policy.transfer_destination_days,
        start=day,
        reminder_days_before=policy.reminder_days_before,
        by=by,
    )
    notices.transferred_out(transfer)
    notices.table_arrived(transfer)
    return transfer


# --- transfer in and credit at the destination -------------------------------------------


def _verified_table(transfer: Transfer) -> InfoTable:
    table = InfoTable.objects.filter(transfer=transfer).first()
    if table is None:
        raise CaseError(_("No information table has arrived for this case."), code="no_table")
    try:
        verify(table.content, table.signature, table.key_id)
    except SealError as exc:
        raise CaseError(
            _(
                "The information table's electronic seal does not verify: it was altered "
                "after sealing or sealed with an unknown key. It is refused; ask the origin "
                "agency to issue it again."
            ),
            code="seal_invalid",
        ) from exc
    if table.content.get("reference") != transfer.case.reference:
        raise CaseError(_("The information table belongs to another case."), code="seal_invalid")
    return table


def _recognise_months(transfer: Transfer, table: InfoTable) -> Enrollment:
    """The months contributed at the origin count at the destination from now on."""
    enrollment = (
        Enrollment.objects.select_for_update()
        .filter(pk=transfer.destination_enrollment_id or 0)
        .first()
    )
    if enrollment is None or enrollment.status != Enrollment.Status.ACTIVE:
        raise CaseError(
            _("The enrollment at the destination is no longer active."), code="not_active"
        )
    enrollment.contribution_months += table.contribution_months
    enrollment.save(update_fields=["contribution_months"])
    return enrollment


def _destination_account(transfer: Transfer, enrollment: Enrollment) -> PersonalAccount | None:
    """The account at the destination; a new employee enrollment may not have one yet. In
    the portable case the origin account itself follows the person: no money moves."""
    if enrollment.scheme != Scheme.EMPLOYEE:
        return None
    existing = PersonalAccount.objects.filter(enrollment=enrollment).first()
    if existing is not None:
        return existing
    if transfer.money_mode == MoneyMode.PORTABLE and transfer.origin_account_id:
        account = PersonalAccount.objects.select_for_update().get(pk=transfer.origin_account_id)
        account.enrollment = enrollment
        account.save(update_fields=["enrollment"])
        return account
    return PersonalAccount.objects.create(person_id=enrollment.person_id, enrollment=enrollment)


@transaction.atomic
def transfer_in(*, case: Case, by: User | None, on: datetime.date | None = None) -> Transfer:
    """转入: verify the seal, import the table, recognise the months. With no money to
    credit (bank payout, portable balance, nothing to move) the transfer completes here."""
    transfer = _locked(case)
    _require_side(transfer, by, DESTINATION)
    _require_state(transfer, S.TRANSFERRED_OUT)
    table = _verified_table(transfer)
    enrollment = _recognise_months(transfer, table)
    transfer.destination_account = _destination_account(transfer, enrollment)
    day = _day(on)
    cases.case_transition(obj=transfer, transition="transfer_in", by=by, on=day)
    if transfer.money_mode != MoneyMode.MOVE:
        _complete(transfer, by=by, day=day, credited=None)
    return transfer


def _clean_received(value: Decimal | str) -> Decimal:
    # Nothing received is an amount too: it goes to reconciliation like any other mismatch.
    try:
        return clean_amount(value, zero_allowed=True)
    except AccountsError as exc:
        raise CaseError(exc.message, code=exc.code) from None


def _credit_parts(transfer: Transfer, individual: Decimal, employer: Decimal, by: Any) -> None:
    """Credit the destination keeping the split: the employer-funded part stays marked as
    such, so that a later withdrawal cannot pay it out."""
    account = transfer.destination_account
    if account is None:
        raise CaseError(_("There is no personal account at the destination."), code="no_account")
    for source, amount in ((FundSource.TRANSFER_IN, individual), (FundSource.EMPLOYER, employer)):
        _credit(account, amount, source, by, transfer, "in", _("transfer in"))


def _credit(
    account: PersonalAccount,
    amount: Decimal,
    source: str,
    by: Any,
    transfer: Transfer,
    leg: str,
    memo: str,
) -> None:
    """One credit per fund source, keyed by case, leg and source so a retry is a no-op."""
    if amount <= 0:
        return
    _ledger(
        partial(
            ledger_credit,
            account=account,
            amount=amount,
            fund_source=source,
            kind=LedgerTransaction.Kind.TRANSFER,
            by=by,
            memo=f"{transfer.case.reference} {memo}",
            idempotency_key=f"transfer:{transfer.case_id}:{leg}:{source}",
        )
    )


@transaction.atomic
def transfer_credit(
    *,
    case: Case,
    by: User | None,
    received_amount: Decimal | str,
    on: datetime.date | None = None,
) -> Transfer:
    """个账入账: the money received must equal the 信息表 balance; then the account is
    credited and the transfer completes. A different amount goes to reconciliation."""
    transfer = _locked(case)
    _require_side(transfer, by, DESTINATION)
    _require_state(transfer, S.TRANSFERRED_IN)
    received = _clean_received(received_amount)
    table = _verified_table(transfer)
    if received != table.balance or received != transfer.amount_in_transit:
        CreditMismatch.objects.create(
            transfer=transfer,
            expected_amount=table.balance,
            received_amount=received,
            reported_by=by,
        )
        reason = _("Received %(received)s yuan, the information table says %(expected)s.") % {
            "received": received,
            "expected": table.balance,
        }
        cases.case_transition(obj=transfer, transition="report_mismatch", by=by, reason=reason)
        notices.mismatch(transfer)
        return transfer
    _credit_parts(transfer, table.individual_part, table.employer_part, by)
    _complete(transfer, by=by, day=_day(on), credited=received)
    return transfer


# --- reconciliation (destination supervisor) ---------------------------------------------


def _open_mismatch(transfer: Transfer, by: User | None, note: str) -> CreditMismatch:
    _require_side(transfer, by, DESTINATION)
    if by is not None and not by.has_perm("cases.sign_off_case"):
        raise CaseError(_("Only a supervisor may resolve a reconciliation."), code="forbidden")
    _require_state(transfer, S.RECONCILIATION)
    if not note.strip():
        raise CaseError(_("Write a note explaining the resolution."), code="empty_note")
    return cases.lock(CreditMismatch.objects.get(transfer=transfer))


def _resolve(mismatch: CreditMismatch, resolution: str, by: User | None, note: str) -> None:
    from django.utils import timezone

    mismatch.resolution = resolution
    mismatch.resolution_note = note.strip()
    mismatch.resolved_by = by
    mismatch.resolved_at = timezone.now()
    mismatch.save(update_fields=["resolution", "resolution_note", "resolved_by", "resolved_at"])


@transaction.atomic
def transfer_reconcile_credit(
    *, case: Case, by: User | None, note: str, on: datetime.date | None = None
) -> Transfer:
    """Credit what was actually received. Never more than left the origin; a shortfall
    stays in transit on the row, visible, to be settled between the two funds."""
    transfer = _locked(case)
    mismatch = _open_mismatch(transfer, by, note)
    received = mismatch.received_amount
    if received > transfer.amount_in_transit:
        raise CaseError(
            _("More was received than the origin sent; return the balance instead."),
            code="too_much",
        )
    table = InfoTable.objects.get(transfer=transfer)
    # The shortfall is taken from the individual part: the employer-funded part, which can
    # never be paid out, is kept whole as far as the money allows.
    employer = min(received, table.employer_part)
    _credit_parts(transfer, received - employer, employer, by)
    _resolve(mismatch, CreditMismatch.Resolution.CREDITED, by, note)
    _complete(transfer, by=by, day=_day(on), credited=received, reason=note.strip())
    return transfer


@transaction.atomic
def transfer_reconcile_return(
    *, case: Case, by: User | None, note: str, on: datetime.date | None = None
) -> Transfer:
    """Send the whole amount in transit back to the origin account, split as it left."""
    transfer = _locked(case)
    mismatch = _open_mismatch(transfer, by, note)
    table = InfoTable.objects.get(transfer=transfer)
    account = transfer.origin_account
    employer = min(transfer.amount_in_transit, table.employer_part)
    parts = (
        (FundSource.INDIVIDUAL, transfer.amount_in_transit - employer),
        (FundSource.EMPLOYER, employer),
    )
    for source, amount in parts:
        if account is not None:
            _credit(account, amount, source, by, transfer, "return", _("returned to the origin"))
    _resolve(mismatch, CreditMismatch.Resolution.RETURNED, by, note)
    day = _day(on)
    cases.case_transition(
        obj=transfer, transition="return_balance", by=by, reason=note.strip(), on=day
    )
    cases.deadline_close(case=transfer.case, met=False)
    notices.returned(transfer)
    return transfer


# --- completion --------------------------------------------------------------------------


def _complete(
    transfer: Transfer,
    *,
    by: User | None,
    day: datetime.date,
    credited: Decimal | None,
    reason: str = "",
) -> None:
    cases.case_transition(
        obj=transfer, transition="complete", by=by, reason=reason, credited=credited, on=day
    )
    cases.deadline_close(case=transfer.case, met=True)
    _end_origin_coverage(transfer, by, day)
    _close_origin_account(transfer, by)
    notices.completed(transfer)


def _end_origin_coverage(transfer: Transfer, by: User | None, day: datetime.date) -> None:
    """Close the origin enrollment and announce the transfer once: enrollment_end sends
    coverage_ended with the reason we give it; if the enrollment was closed already, we
    send the signal ourselves so that the family-pool bindings still end."""
    enrollment = transfer.origin_enrollment
    if enrollment is not None and enrollment.status != Enrollment.Status.CLOSED:
        enrollment_end(
            enrollment=enrollment,
            status=Enrollment.Status.CLOSED,
            by=by,
            on=day,
            coverage_reason=CoverageEnd.TRANSFERRED,
        )
        return
    coverage_ended.send(
        sender=Transfer, person=transfer.case.person, reason=CoverageEnd.TRANSFERRED, by=by
    )


def _close_origin_account(transfer: Transfer, by: User | None) -> None:
    """The money has left: close the origin account, quietly (the transfer's own signal
    has ended the bindings). One still holding money (a late contribution) stays open,
    and the history says so."""
    if transfer.money_mode not in (MoneyMode.MOVE, MoneyMode.PAYOUT, MoneyMode.NONE):
        return
    account = transfer.origin_account
    if account is None:
        return
    account.refresh_from_db()
    if account.balance != 0:
        cases.case_record(
            case=transfer.case,
            action="origin_account_left_open",
            by=by,
            reason=_("The origin account still holds %(amount)s yuan and stays open.")
            % {"amount": account.balance},
        )
        return
    account_close(account=account, by=by, announce=False)
