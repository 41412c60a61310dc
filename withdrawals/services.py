"""Every state change of a withdrawal case. Emergency refunds are in `withdrawals.refunds`,
the rules that refuse an application in `withdrawals.eligibility`.

Each service locks the workflow row, checks the rules of docs/DOMAIN.md §3 (every reason at once
where a refusal is possible), then moves the state machine through
`cases.steps.case_step`, which writes the history row in the same transaction. Who may take
each step is its transition's rule (`withdrawals.permissions`); `cases.steps.require` asks it
first, before any money moves.
Notifications go to the outbox in that transaction too.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.choices import WithdrawalGround
from accounts.idnumbers import normalize_id_number
from accounts.models import PersonalAccount
from cases import steps, workflow
from cases.deadlines import deadline_close, deadline_start, deadlines_pause, deadlines_resume
from cases.documents import document_add
from cases.errors import CaseError
from cases.history import case_open, case_record
from cases.models import CaseKind, Channel, DeadlineStep, DocumentKind
from withdrawals import rules
from withdrawals.eligibility import (
    Application,
    amount_reasons,
    document_label,
    filer_reasons,
    heir_applies_online,
    open_withdrawal_reasons,
    review_reasons,
    submission_reasons,
)
from withdrawals.models import Withdrawal
from withdrawals.notices import message, tell_applicant
from withdrawals.selectors import (
    account_policy,
    account_split,
    agency_for,
    withdrawal_computation,
)

if TYPE_CHECKING:
    from accounts.models import User

State = Withdrawal.State


@transaction.atomic
def withdrawal_submit(
    *,
    account: PersonalAccount,
    application: Application,
    documents: Mapping[str, Any],
    by: User | None,
    channel: str = Channel.ONLINE,
    applicant: User | None = None,
) -> Withdrawal:
    """File a withdrawal with its documents; refused with every reason at once."""
    # The person first, as transfer_apply locks them: a transfer filed at the same moment
    # waits, and each sees the other's case when its check runs.
    workflow.person_lock(account.person)
    account = workflow.lock(account)
    policy = account_policy(account)
    on = workflow.today()
    computation = rules.compute(
        account_split(account),
        policy=policy,
        outstanding=rules.ZERO,
        exempt_group=application.fee_exempt_group,
    )
    reasons = submission_reasons(
        account=account,
        application=application,
        documents=documents,
        applicant=applicant,
        policy=policy,
        computation=computation,
        on=on,
    )
    agency = agency_for(account)
    heir_online = heir_applies_online(application, applicant)
    if heir_online and (agency is None or open_withdrawal_reasons(account)):
        # Said to an heir, either would tell a stranger about the account; a live case
        # (one per account, `withdrawal_one_live_per_account`) is already with staff.
        raise CaseError(_("The application cannot be accepted."), code="no_match")
    if agency is None:
        reasons.append(_("No agency runs the fund of this account's region yet."))
    reasons.extend(filer_reasons(by=by, agency=agency))
    if reasons:
        raise CaseError(_("The application cannot be accepted."), code="refused", reasons=reasons)
    assert agency is not None  # noqa: S101 - refused above
    case = case_open(
        kind=CaseKind.WITHDRAWAL,
        person=account.person,
        agency=agency,
        channel=channel,
        state=State.SUBMITTED,
        by=by,
        applicant=applicant,
    )
    withdrawal: Withdrawal = Withdrawal.objects.create(
        case=case,
        ground=application.ground,
        account=account,
        heir_name=application.heir_name.strip(),
        heir_id_number=normalize_id_number(application.heir_id_number),
        heir_phone=application.heir_phone.strip(),
        payee_name=application.payee_name.strip(),
        bank_name=application.bank_name.strip(),
        bank_account=rules.clean_card_number(application.bank_account),
        last_local_treatment_on=application.last_local_treatment_on,
        fee_exempt_group=application.fee_exempt_group,
    )
    for kind, upload in documents.items():
        document_add(case=case, kind=kind, upload=upload, by=by)
    deadline = deadline_start(
        case=case,
        step=DeadlineStep.REVIEW,
        working_days=rules.review_days(application.ground, policy),
        start=on,
        reminder_days_before=policy.reminder_days_before,
        by=by,
    )
    if heir_online:
        # Nothing about the deceased's account reaches the heir before staff have verified
        # the death and the heir; the review's outcome is what tells them.
        return withdrawal
    tell_applicant(
        case,
        message(
            gettext_noop("Withdrawal application %(ref)s received"),
            gettext_noop(
                "We received your application %(ref)s to withdraw the personal account balance "
                "(%(ground)s). Estimated payout: %(amount)s yuan. %(agency)s must decide on it "
                "by %(due)s."
            ),
            ref=case.reference,
            agency=agency.name,
            due=deadline.due_on.isoformat(),
            # Lazy labels: worded in the portal's language when the row is written.
            ground=WithdrawalGround(application.ground).label,
            amount=computation.payout,
        ),
        heir_phone=withdrawal.heir_phone,
    )
    return withdrawal


# --- review ------------------------------------------------------------------------------


@transaction.atomic
def withdrawal_first_review(*, withdrawal: Withdrawal, by: User, reason: str = "") -> Withdrawal:
    """初审 by a clerk: every rule holds on what is now on the case."""
    withdrawal = workflow.lock(withdrawal)
    steps.require(withdrawal, withdrawal.first_review, by)
    reasons = review_reasons(withdrawal, workflow.today())
    if reasons:
        raise CaseError(
            _("The first review cannot pass; request the documents or refuse the application."),
            code="rules",
            reasons=reasons,
        )
    steps.case_step(withdrawal, withdrawal.first_review, by=by, reason=reason)()
    return withdrawal


def _start_payout_clock(withdrawal: Withdrawal, by: User) -> None:
    """待支付: the approved amount goes out within the region's working days."""
    policy = account_policy(withdrawal.account)
    deadline_start(
        case=withdrawal.case,
        step=DeadlineStep.PAYOUT,
        working_days=policy.withdrawal_payout_days,
        reminder_days_before=policy.reminder_days_before,
        by=by,
    )


@transaction.atomic
def withdrawal_approve(*, withdrawal: Withdrawal, by: User, reason: str = "") -> Withdrawal:
    """复审 by a reviewer who did not do the first review."""
    withdrawal = workflow.lock(withdrawal)
    # The four-eyes rule is part of the step's rule too; asked first, it says why.
    workflow.require_four_eyes(case=withdrawal.case, by=by, first_actions=["first_review"])
    steps.require(withdrawal, withdrawal.approve, by)
    computation = withdrawal_computation(withdrawal)
    reasons = amount_reasons(computation)
    if reasons:
        raise CaseError(reasons[0], code="nothing_to_pay")
    steps.case_step(withdrawal, withdrawal.approve, by=by, reason=reason)()
    deadline_close(case=withdrawal.case, step=DeadlineStep.REVIEW, met=True)
    _start_payout_clock(withdrawal, by)
    tell_applicant(
        withdrawal.case,
        message(
            gettext_noop("Withdrawal %(ref)s approved"),
            gettext_noop(
                "Your withdrawal %(ref)s is approved. About %(amount)s yuan will be paid to "
                "%(bank)s card ending %(last4)s; the personal account is then closed."
            ),
            ref=withdrawal.case.reference,
            amount=computation.payout,
            bank=withdrawal.bank_name,
            last4=withdrawal.bank_account[-4:],
        ),
        heir_phone=withdrawal.heir_phone,
    )
    return withdrawal


def clean_reasons(reasons: list[str]) -> list[str]:
    cleaned = [r.strip() for r in reasons if r and r.strip()]
    if not cleaned:
        raise CaseError(_("Give at least one reason for the refusal."), code="no_reason")
    return cleaned


@transaction.atomic
def withdrawal_refuse(*, withdrawal: Withdrawal, by: User, reasons: list[str]) -> Withdrawal:
    """不予受理 / refusal with every reason at once (一次性告知): by the clerk at first
    review, or by the reviewer at second review."""
    withdrawal = workflow.lock(withdrawal)
    reasons = clean_reasons(reasons)
    on_review = withdrawal.state == State.FIRST_REVIEWED
    step = withdrawal.refuse_on_review if on_review else withdrawal.refuse
    if on_review:
        workflow.require_four_eyes(case=withdrawal.case, by=by, first_actions=["first_review"])
    steps.require(withdrawal, step, by)
    steps.case_step(withdrawal, step, by=by, reason="\n".join(reasons))(reasons=reasons)
    deadline_close(case=withdrawal.case, met=True)
    tell_applicant(
        withdrawal.case,
        message(
            gettext_noop("Withdrawal %(ref)s refused"),
            gettext_noop("Your withdrawal %(ref)s is refused for these reasons: %(reasons)s"),
            ref=withdrawal.case.reference,
            reasons=reasons,
        ),
        heir_phone=withdrawal.heir_phone,
    )
    return withdrawal


@transaction.atomic
def withdrawal_request_documents(
    *, withdrawal: Withdrawal, by: User, kinds: list[str], note: str = ""
) -> Withdrawal:
    """补件: ask the applicant for documents; the review clock stops until they come."""
    withdrawal = workflow.lock(withdrawal)
    kinds = [k for k in dict.fromkeys(kinds) if k in DocumentKind.values]
    if not kinds:
        raise CaseError(_("Choose the documents that are needed."), code="no_kinds")
    steps.require(withdrawal, withdrawal.request_documents, by)
    labels = [document_label(k) for k in kinds]
    reason = "; ".join(labels) + (f"\n{note.strip()}" if note.strip() else "")
    steps.case_step(withdrawal, withdrawal.request_documents, by=by, reason=reason)(kinds=kinds)
    deadlines_pause(case=withdrawal.case, by=by)
    tell_applicant(
        withdrawal.case,
        message(
            gettext_noop("Documents needed for %(ref)s"),
            gettext_noop("Please upload these documents for %(ref)s: %(kinds)s. %(note)s"),
            ref=withdrawal.case.reference,
            kinds=[DocumentKind(k).label for k in kinds],
            note=note.strip(),
        ),
        heir_phone=withdrawal.heir_phone,
    )
    return withdrawal


@transaction.atomic
def withdrawal_documents_supplied(*, withdrawal: Withdrawal, by: User) -> Withdrawal:
    """The requested documents are on the case: back to review, the clock runs again."""
    withdrawal = workflow.lock(withdrawal)
    steps.require(withdrawal, withdrawal.documents_supplied, by)
    asked_at = (
        withdrawal.case.events.filter(action="request_documents")
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    new = withdrawal.case.documents.all()
    if asked_at is not None:
        new = new.filter(uploaded_at__gte=asked_at)
    have = set(new.values_list("kind", flat=True))
    missing = [k for k in withdrawal.requested_documents if k not in have]
    if missing:
        raise CaseError(
            _("Upload the requested documents first."),
            code="missing",
            reasons=[
                _("Missing document: %(kind)s.") % {"kind": document_label(k)} for k in missing
            ],
        )
    steps.case_step(withdrawal, withdrawal.documents_supplied, by=by)()
    policy = account_policy(withdrawal.account)
    deadlines_resume(case=withdrawal.case, by=by, reminder_days_before=policy.reminder_days_before)
    return withdrawal


@transaction.atomic
def withdrawal_cancel(*, withdrawal: Withdrawal, by: User, reason: str = "") -> Withdrawal:
    """The applicant withdraws the application before the first review is done."""
    withdrawal = workflow.lock(withdrawal)
    steps.require(withdrawal, withdrawal.cancel, by)
    steps.case_step(withdrawal, withdrawal.cancel, by=by, reason=reason)()
    deadline_close(case=withdrawal.case, met=False)
    tell_applicant(
        withdrawal.case,
        message(
            gettext_noop("Withdrawal %(ref)s cancelled"),
            gettext_noop("Your withdrawal application %(ref)s is cancelled as you asked."),
            ref=withdrawal.case.reference,
        ),
        heir_phone=withdrawal.heir_phone,
    )
    return withdrawal


@dataclass(frozen=True)
class Assessment:
    outstanding_costs: Decimal
    last_local_treatment_on: datetime.date | None
    fee_exempt_group: str


@transaction.atomic
def withdrawal_assess(*, withdrawal: Withdrawal, by: User, assessment: Assessment) -> Withdrawal:
    """The clerk's findings before the first review: outstanding costs to settle, the last
    treatment in the enrollment region from the settlement records, the fee exemption
    verified (or cleared)."""
    withdrawal = workflow.lock(withdrawal)
    if not by.has_perm("cases.process_case"):
        raise CaseError(_("You may not take this step on this case."), code="forbidden")
    if withdrawal.state not in (State.SUBMITTED, State.WAITING_DOCUMENTS):
        raise CaseError(
            _("The amounts can only be corrected before the first review."), code="wrong_state"
        )
    if assessment.outstanding_costs < 0:
        raise CaseError(_("Outstanding costs cannot be negative."), code="negative")
    outstanding = assessment.outstanding_costs.quantize(rules.ZERO)
    changes = []
    fields = (
        ("outstanding_costs", outstanding),
        ("last_local_treatment_on", assessment.last_local_treatment_on),
        ("fee_exempt_group", assessment.fee_exempt_group),
    )
    for name, new in fields:
        old = getattr(withdrawal, name)
        if old != new:
            changes.append(
                f"{Withdrawal._meta.get_field(name).verbose_name}: {old or '—'} → {new or '—'}"
            )
            setattr(withdrawal, name, new)
    if not changes:
        return withdrawal
    withdrawal.save(update_fields=[name for name, _value in fields])
    case_record(case=withdrawal.case, action="assessed", by=by, reason="\n".join(changes))
    return withdrawal


# --- what the case page's buttons run ------------------------------------------------------


@steps.performs(Withdrawal.first_review)
def _first_review_step(obj: Withdrawal, by: User, given: steps.Given) -> object:
    return withdrawal_first_review(withdrawal=obj, by=by, reason=given.note)


@steps.performs(Withdrawal.approve)
def _approve_step(obj: Withdrawal, by: User, given: steps.Given) -> object:
    return withdrawal_approve(withdrawal=obj, by=by, reason=given.note)


# One service refuses at either review; each button is the one refusal open now.
@steps.performs(Withdrawal.refuse)
def _refuse_step(obj: Withdrawal, by: User, given: steps.Given) -> object:
    steps.require(obj, obj.refuse, by)
    return withdrawal_refuse(withdrawal=obj, by=by, reasons=given.reasons)


@steps.performs(Withdrawal.refuse_on_review)
def _refuse_on_review_step(obj: Withdrawal, by: User, given: steps.Given) -> object:
    steps.require(obj, obj.refuse_on_review, by)
    return withdrawal_refuse(withdrawal=obj, by=by, reasons=given.reasons)


@steps.performs(Withdrawal.request_documents)
def _request_documents_step(obj: Withdrawal, by: User, given: steps.Given) -> object:
    return withdrawal_request_documents(
        withdrawal=obj, by=by, kinds=list(given.kinds), note=given.note
    )


@steps.performs(Withdrawal.documents_supplied)
def _documents_supplied_step(obj: Withdrawal, by: User, given: steps.Given) -> object:
    return withdrawal_documents_supplied(withdrawal=obj, by=by)


@steps.performs(Withdrawal.cancel)
def _cancel_step(obj: Withdrawal, by: User, given: steps.Given) -> object:
    return withdrawal_cancel(withdrawal=obj, by=by)
