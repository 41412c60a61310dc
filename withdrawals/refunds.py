"""Emergency advance refunds (急诊垫付): costs the person paid themself in an emergency,
credited back to the personal account within the region's limit (7 working days by
default) on the shared deadline machinery: submitted → approved → credited, or refused."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.clearing import clearing_of
from accounts.errors import AccountsError
from accounts.models import ClearingAccount, FundSource, LedgerTransaction, PersonalAccount
from accounts.money import clean_amount
from accounts.services import ledger_credit
from cases import steps, workflow
from cases.deadlines import deadline_close, deadline_start
from cases.documents import document_add
from cases.errors import CaseError
from cases.history import case_open
from cases.models import CaseKind, Channel, DeadlineStep, DocumentKind
from withdrawals.models import EmergencyRefund
from withdrawals.notices import message, tell_applicant
from withdrawals.selectors import account_policy, agency_for
from withdrawals.services import clean_reasons

if TYPE_CHECKING:
    from accounts.models import User

State = EmergencyRefund.State


def _amount(value: Decimal | str) -> Decimal:
    try:
        return clean_amount(value)
    except AccountsError as exc:
        raise CaseError(exc.message, code=exc.code) from exc


def _submit_reasons(
    account: PersonalAccount,
    applicant: User | None,
    treated_on: datetime.date,
    hospital: str,
    receipts: Sequence[Any],
    on: datetime.date,
) -> list[str]:
    reasons = []
    if account.status == PersonalAccount.Status.CLOSED:
        reasons.append(_("The personal account is closed; nothing can be credited to it."))
    if applicant is not None and applicant.person_id not in (None, account.person_id):
        reasons.append(_("You can only apply for your own personal account."))
    if treated_on > on:
        reasons.append(_("The date of the treatment cannot be in the future."))
    if not hospital.strip():
        reasons.append(_("Give the hospital where the emergency treatment took place."))
    if not receipts:
        reasons.append(_("Missing document: %(kind)s.") % {"kind": DocumentKind.RECEIPTS.label})
    return reasons


def _same_claim_reasons(
    account: PersonalAccount, value: Decimal, treated_on: datetime.date, hospital: str
) -> list[str]:
    """The same claim sent twice (a double click) is one claim, not two to pay."""
    same = EmergencyRefund.objects.filter(
        account=account,
        amount=value,
        treated_on=treated_on,
        hospital=hospital.strip(),
        case__closed_at__isnull=True,
    ).select_related("case")
    first = same.first()
    if first is None:
        return []
    return [
        _("The same claim is already being processed as %(ref)s.") % {"ref": first.case.reference}
    ]


@transaction.atomic
def emergency_refund_submit(
    *,
    account: PersonalAccount,
    amount: Decimal | str,
    hospital: str,
    treated_on: datetime.date,
    receipts: Sequence[Any],
    by: User | None,
    channel: str = Channel.ONLINE,
    applicant: User | None = None,
) -> EmergencyRefund:
    on = workflow.today()
    value = _amount(amount)
    workflow.person_lock(account.person)
    reasons = _submit_reasons(account, applicant, treated_on, hospital, receipts, on)
    if not reasons:
        reasons = _same_claim_reasons(account, value, treated_on, hospital)
    agency = agency_for(account)
    if agency is None:
        reasons.append(_("No agency runs the fund of this account's region yet."))
    if reasons:
        raise CaseError(_("The application cannot be accepted."), code="refused", reasons=reasons)
    assert agency is not None  # noqa: S101 - refused above
    policy = account_policy(account)
    case = case_open(
        kind=CaseKind.EMERGENCY_REFUND,
        person=account.person,
        agency=agency,
        channel=channel,
        state=State.SUBMITTED,
        by=by,
        applicant=applicant,
    )
    refund: EmergencyRefund = EmergencyRefund.objects.create(
        case=case, account=account, amount=value, hospital=hospital.strip(), treated_on=treated_on
    )
    for upload in receipts:
        document_add(case=case, kind=DocumentKind.RECEIPTS, upload=upload, by=by)
    deadline = deadline_start(
        case=case,
        step=DeadlineStep.REFUND,
        working_days=policy.emergency_refund_days,
        start=on,
        reminder_days_before=policy.reminder_days_before,
        by=by,
    )
    tell_applicant(
        case,
        message(
            gettext_noop("Emergency refund %(ref)s received"),
            gettext_noop(
                "We received your claim %(ref)s for %(amount)s yuan advanced at %(hospital)s. "
                "It will be decided by %(due)s."
            ),
            ref=case.reference,
            amount=value,
            hospital=refund.hospital,
            due=deadline.due_on.isoformat(),
        ),
    )
    return refund


@transaction.atomic
def emergency_refund_approve(
    *, refund: EmergencyRefund, by: User, amount: Decimal | str | None = None, reason: str = ""
) -> EmergencyRefund:
    """The clerk checks the receipts and approves the claim, or a smaller amount."""
    refund = workflow.lock(refund)
    steps.require(refund, refund.approve, by)
    value = refund.amount if amount in (None, "") else _amount(amount)  # type: ignore[arg-type]
    if value > refund.amount:
        raise CaseError(
            _("The approved amount cannot exceed the %(amount)s yuan claimed.")
            % {"amount": refund.amount},
            code="too_much",
        )
    refund.reviewed_by = by
    steps.case_step(
        refund,
        refund.approve,
        by=by,
        reason=reason or _("%(amount)s yuan approved") % {"amount": value},
    )(amount=value)
    tell_applicant(
        refund.case,
        message(
            gettext_noop("Emergency refund %(ref)s approved"),
            gettext_noop(
                "%(amount)s yuan of claim %(ref)s is approved and will be credited shortly."
            ),
            ref=refund.case.reference,
            amount=value,
        ),
    )
    return refund


@transaction.atomic
def emergency_refund_credit(*, refund: EmergencyRefund, by: User | None) -> EmergencyRefund:
    """Credit the approved amount as a refund (individually funded). A retry finds the
    credit by its key and the case already credited, and does nothing more."""
    refund = workflow.lock(refund)
    if refund.state == State.CREDITED:
        return refund
    steps.require(refund, refund.credit, by)
    assert refund.approved_amount is not None  # noqa: S101 - set by approve
    try:
        txn = ledger_credit(
            account=refund.account,
            amount=refund.approved_amount,
            fund_source=FundSource.REFUND,
            kind=LedgerTransaction.Kind.REFUND,
            # What the person advanced is the fund's to bear: it comes out of the pooled fund.
            counter=clearing_of(refund.account, ClearingAccount.Kind.POOLED_FUND),
            by=by,
            memo=f"{refund.case.reference} emergency advance refund",
            idempotency_key=f"emergency-refund:{refund.pk}",
        )
    except AccountsError as exc:
        raise CaseError(exc.message, code=exc.code) from exc
    refund.credit_transaction = txn
    refund.credited_at = timezone.now()
    steps.case_step(refund, refund.credit, by=by)()
    deadline_close(case=refund.case, step=DeadlineStep.REFUND, met=True)
    tell_applicant(
        refund.case,
        message(
            gettext_noop("Emergency refund %(ref)s credited"),
            gettext_noop("%(amount)s yuan of claim %(ref)s was credited to your personal account."),
            ref=refund.case.reference,
            amount=refund.approved_amount,
        ),
    )
    return refund


@transaction.atomic
def emergency_refund_refuse(
    *, refund: EmergencyRefund, by: User, reasons: list[str]
) -> EmergencyRefund:
    refund = workflow.lock(refund)
    cleaned = clean_reasons(reasons)
    steps.require(refund, refund.refuse, by)
    refund.reviewed_by = by
    steps.case_step(refund, refund.refuse, by=by, reason="\n".join(cleaned))(reasons=cleaned)
    deadline_close(case=refund.case, met=True)
    tell_applicant(
        refund.case,
        message(
            gettext_noop("Emergency refund %(ref)s refused"),
            gettext_noop("Your claim %(ref)s is refused for these reasons: %(reasons)s"),
            ref=refund.case.reference,
            reasons=cleaned,
        ),
    )
    return refund


def credit_summary(refund: EmergencyRefund) -> str:
    """What crediting the refund does, in figures: from the pooled fund into the account."""
    return _(
        "%(amount)s yuan from the pooled fund into personal account %(account)s of %(name)s."
    ) % {
        "amount": refund.approved_amount,
        "account": refund.account_id,
        "name": refund.account.person.name,
    }


steps.summarises(EmergencyRefund.credit)(credit_summary)


# --- what the case page's buttons run ------------------------------------------------------


@steps.performs(EmergencyRefund.approve)
def _approve_step(obj: EmergencyRefund, by: User, given: steps.Given) -> object:
    return emergency_refund_approve(refund=obj, by=by, amount=given.amount)


@steps.performs(EmergencyRefund.refuse)
def _refuse_step(obj: EmergencyRefund, by: User, given: steps.Given) -> object:
    return emergency_refund_refuse(refund=obj, by=by, reasons=given.reasons)


@steps.performs(EmergencyRefund.credit)
def _credit_step(obj: EmergencyRefund, by: User, given: steps.Given) -> object:
    return emergency_refund_credit(refund=obj, by=by)
