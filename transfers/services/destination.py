"""转入, 个账入账 and reconciliation at the destination, and what completion closes at the
origin (docs/DOMAIN.md §2 steps 4–5)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.clearing import clearing_account
from accounts.errors import AccountsError
from accounts.models import (
    ClearingAccount,
    Enrollment,
    FundSource,
    LedgerTransaction,
    PersonalAccount,
    Scheme,
    User,
)
from accounts.money import clean_amount
from accounts.policy import needs_second_person, policy_for
from accounts.services import account_close, enrollment_end, ledger_credit, ledger_move_split
from accounts.signals import CoverageEnd, coverage_ended
from cases import steps, workflow
from cases.deadlines import deadline_close
from cases.errors import CaseError
from cases.history import case_record
from cases.models import Case
from seals.peers import is_remote
from transfers import notices
from transfers.choices import MoneyMode
from transfers.exchange.models import MessageKind
from transfers.exchange.outbox import announce
from transfers.models import CreditMismatch, InfoTable, Transfer
from transfers.seal import SealError, verify
from transfers.selectors import balance_split
from transfers.services.base import day_or_today, ledger_or_refuse, locked

# --- transfer in and credit at the destination -------------------------------------------


def _verified_table(transfer: Transfer) -> InfoTable:
    table = InfoTable.objects.filter(transfer=transfer).first()
    if table is None:
        raise CaseError(_("No information table has arrived for this case."), code="no_table")
    try:
        verify(
            table.content,
            signature=table.signature,
            key_id=table.key_id,
            algorithm=table.algorithm,
            agency_code=table.content.get("origin", {}).get("agency_code", ""),
        )
    except SealError as exc:
        raise CaseError(
            _(
                "The information table's electronic seal is refused: %(why)s Nothing is "
                "imported; ask the origin agency to issue the table again."
            )
            % {"why": exc.message},
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


def _destination_account(
    transfer: Transfer, enrollment: Enrollment, by: User | None
) -> PersonalAccount | None:
    """The account at the destination; a new employee enrollment may not have one yet. In
    the portable case the origin account itself follows the person: no money moves between
    funds. If the person already has an account at the destination, the portable balance is
    merged into it (one person, one open account)."""
    if enrollment.scheme != Scheme.EMPLOYEE:
        return None
    existing = PersonalAccount.objects.filter(enrollment=enrollment).first()
    if existing is not None:
        if transfer.money_mode == MoneyMode.PORTABLE:
            _merge_portable_balance(transfer, existing, by)
        return existing
    if transfer.money_mode == MoneyMode.PORTABLE and transfer.origin_account_id:
        account = PersonalAccount.objects.select_for_update().get(pk=transfer.origin_account_id)
        account.enrollment = enrollment
        account.save(update_fields=["enrollment"])
        return account
    return PersonalAccount.objects.create(person_id=enrollment.person_id, enrollment=enrollment)


def _merge_portable_balance(transfer: Transfer, target: PersonalAccount, by: User | None) -> None:
    """Move what the origin account holds onto the account the person already has at the
    destination, in one ledger transaction keeping the split (the employer-funded part stays
    employer-funded), and close the emptied origin account. Left where it was, the money sat
    on the account of a closed enrollment that charging and the family pool never look at."""
    if not transfer.origin_account_id:
        return
    source = workflow.lock(PersonalAccount.objects.get(pk=transfer.origin_account_id))
    if source.pk == target.pk or source.status == PersonalAccount.Status.CLOSED:
        return
    individual, employer = balance_split(source)
    parts = [
        (fund, amount)
        for fund, amount in ((FundSource.TRANSFER_IN, individual), (FundSource.EMPLOYER, employer))
        if amount > 0
    ]
    if parts:
        ledger_or_refuse(
            partial(
                ledger_move_split,
                source=source,
                target=target,
                parts=parts,
                by=by,
                memo=f"{transfer.case.reference} portable balance merged",
                idempotency_key=f"transfer:{transfer.case_id}:merge",
            )
        )
        case_record(
            case=transfer.case,
            action="balance_merged",
            by=by,
            reason=_(
                "The portable balance of %(amount)s yuan (employer-funded %(employer)s) was "
                "merged into the account the person already had at the destination."
            )
            % {"amount": individual + employer, "employer": employer},
        )
    account_close(account=source, by=by, announce=False)


@transaction.atomic
def transfer_in(*, case: Case, by: User | None, on: datetime.date | None = None) -> Transfer:
    """转入: verify the seal, import the table, recognise the months. With no money to
    credit (bank payout, portable balance, nothing to move) the transfer completes here."""
    transfer = locked(case)
    steps.require(transfer, transfer.transfer_in, by)
    table = _verified_table(transfer)
    enrollment = _recognise_months(transfer, table)
    transfer.destination_account = _destination_account(transfer, enrollment, by)
    day = day_or_today(on)
    steps.case_step(transfer, transfer.transfer_in, by=by)(on=day)
    completed = transfer.money_mode != MoneyMode.MOVE
    if completed:
        steps.case_step(transfer, transfer.complete, by=by)(on=day)
        after_completion(transfer, by=by, day=day)
    announce(
        case=transfer.case,
        kind=MessageKind.TRANSFERRED_IN,
        body={"on": day.isoformat(), "completed": completed},
    )
    return transfer


def _clean_received(value: Decimal | str) -> Decimal:
    # Nothing received is an amount too (0 goes to reconciliation like any other mismatch);
    # an empty field is not: it means the clerk has not said what arrived.
    if isinstance(value, str) and not value.strip():
        raise CaseError(_("Enter the amount received."), code="amount_invalid")
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


def in_transit_clearing(transfer: Transfer) -> ClearingAccount:
    """Where the money in transit sits at this end. In one deployment: the origin fund's
    clearing for the destination, where transfer-out put it (a return to the origin comes out
    of it too). With an origin of another deployment: this fund's clearing for the origin's,
    where the balance-sent message booked the money's arrival (transfers.exchange.money)."""
    if is_remote(transfer.case.agency_id):
        return clearing_account(
            region_id=transfer.destination_region_id,
            kind=ClearingAccount.Kind.IN_TRANSIT,
            peer_id=transfer.origin_region_id,
        )
    return clearing_account(
        region_id=transfer.origin_region_id,
        kind=ClearingAccount.Kind.IN_TRANSIT,
        peer_id=transfer.destination_region_id,
    )


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
    in_transit = in_transit_clearing(transfer)
    ledger_or_refuse(
        partial(
            ledger_credit,
            account=account,
            amount=amount,
            fund_source=source,
            kind=LedgerTransaction.Kind.TRANSFER,
            counter=in_transit,
            by=by,
            memo=f"{transfer.case.reference} {memo}",
            idempotency_key=f"transfer:{transfer.case_id}:{leg}:{source}",
        )
    )


def _require_balance_arrived(transfer: Transfer) -> None:
    # From another deployment the money is announced by its own message, which may come
    # after the table: there is nothing to match the credit against until it has.
    if is_remote(transfer.case.agency_id) and transfer.amount_in_transit == 0:
        raise CaseError(
            _("The origin's balance-sent message has not arrived yet; credit it once it has."),
            code="balance_not_arrived",
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
    credited and the transfer completes. A different amount goes to reconciliation. From the
    region's threshold a second member of staff confirms the credit (双人复核)."""
    transfer = locked(case)
    steps.require(transfer, transfer.credit, by)
    received = _clean_received(received_amount)
    table = _verified_table(transfer)
    _require_balance_arrived(transfer)
    matches = received == table.balance == transfer.amount_in_transit
    policy = policy_for(transfer.destination_region)
    if matches and by is not None and needs_second_person(policy, received):
        steps.case_step(
            transfer,
            transfer.prepare_credit,
            by=by,
            reason=_("%(amount)s yuan to credit, to be confirmed by a second person")
            % {"amount": received},
        )(amount=received, by=by)
        return transfer
    _enter_credit(transfer, table, received, matches, day_or_today(on), by, transfer.credit)
    return transfer


@transaction.atomic
def transfer_credit_confirm(*, case: Case, by: User, on: datetime.date | None = None) -> Transfer:
    """The second person confirms the credit another prepared, with the amount prepared."""
    transfer = locked(case)
    steps.require(transfer, transfer.confirm_credit, by)
    received = transfer.prepared_amount
    assert received is not None  # noqa: S101 - set by prepare_credit
    table = _verified_table(transfer)
    matches = received == table.balance == transfer.amount_in_transit
    _enter_credit(transfer, table, received, matches, day_or_today(on), by, transfer.confirm_credit)
    return transfer


@transaction.atomic
def transfer_credit_send_back(*, case: Case, by: User, note: str) -> Transfer:
    transfer = locked(case)
    steps.send_back(transfer, transfer.send_back_credit, by=by, note=note)
    return transfer


def _enter_credit(
    transfer: Transfer,
    table: InfoTable,
    received: Decimal,
    matches: bool,
    day: datetime.date,
    by: User | None,
    step: Callable[..., str],
) -> None:
    if not matches:
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
        steps.case_step(transfer, step, by=by, reason=reason)(
            received=received, matches=False, on=day
        )
        notices.mismatch(transfer)
        announce(
            case=transfer.case,
            kind=MessageKind.MISMATCH,
            body={"received": str(received), "expected": str(table.balance)},
        )
        return
    _credit_parts(transfer, table.individual_part, table.employer_part, by)
    steps.case_step(transfer, step, by=by)(received=received, matches=True, on=day)
    after_completion(transfer, by=by, day=day)
    announce(
        case=transfer.case,
        kind=MessageKind.CREDITED,
        body={"amount": str(received), "on": day.isoformat()},
    )


# --- reconciliation (destination supervisor) ---------------------------------------------


def _open_mismatch(transfer: Transfer, note: str) -> CreditMismatch:
    if not note.strip():
        raise CaseError(_("Write a note explaining the resolution."), code="empty_note")
    return workflow.lock(CreditMismatch.objects.get(transfer=transfer))


def _resolve(mismatch: CreditMismatch, resolution: str, by: User | None, note: str) -> None:
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
    transfer = locked(case)
    steps.require(transfer, transfer.reconcile_credit, by)
    mismatch = _open_mismatch(transfer, note)
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
    day = day_or_today(on)
    steps.case_step(transfer, transfer.reconcile_credit, by=by, reason=note.strip())(
        credited=received, on=day
    )
    after_completion(transfer, by=by, day=day)
    announce(
        case=transfer.case,
        kind=MessageKind.CREDITED,
        body={"amount": str(received), "on": day.isoformat()},
    )
    return transfer


@transaction.atomic
def transfer_reconcile_return(
    *, case: Case, by: User | None, note: str, on: datetime.date | None = None
) -> Transfer:
    """Send the whole amount in transit back to the origin account, split as it left."""
    transfer = locked(case)
    steps.require(transfer, transfer.reconcile_return, by)
    if is_remote(transfer.case.agency_id):
        raise CaseError(
            _(
                "The origin runs another system: a return of the balance is not sent through "
                "the exchange yet; credit what came, or settle it with the origin directly."
            ),
            code="return_not_exchanged",
        )
    mismatch = _open_mismatch(transfer, note)
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
    day = day_or_today(on)
    steps.case_step(transfer, transfer.reconcile_return, by=by, reason=note.strip())(on=day)
    deadline_close(case=transfer.case, met=False)
    notices.returned(transfer)
    return transfer


# --- completion --------------------------------------------------------------------------


def after_completion(transfer: Transfer, *, by: User | None, day: datetime.date) -> None:
    deadline_close(case=transfer.case, met=True)
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
        case_record(
            case=transfer.case,
            action="origin_account_left_open",
            by=by,
            reason=_("The origin account still holds %(amount)s yuan and stays open.")
            % {"amount": account.balance},
        )
        return
    account_close(account=account, by=by, announce=False)
