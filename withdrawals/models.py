"""Withdrawal cases (个人账户余额一次性支取) and emergency-advance refunds (急诊垫付).

Each model's primary key is its `cases.Case`; the state machines below only move their own
row. What a step checks (policy, documents, money) and what it writes (ledger, deadlines,
notifications) lives in `withdrawals.services`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.choices import WithdrawalGround
from accounts.crypto import BlindIndexedCharField, EncryptedCharField
from accounts.money import MONEY
from cases.steps import declare, internal, may


class Withdrawal(ConcurrentTransitionMixin, models.Model):
    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted, awaiting first review")
        WAITING_DOCUMENTS = "waiting_documents", _("Waiting for documents")
        FIRST_REVIEWED = "first_reviewed", _("First review passed, awaiting second review")
        APPROVED = "approved", _("Approved, awaiting payout")
        PAYOUT_PREPARED = "payout_prepared", _("Payout prepared, awaiting a second person")
        PAID = "paid", _("Paid out")
        CLOSED = "closed", _("Paid out, account closed")
        REFUSED = "refused", _("Refused")
        CANCELLED = "cancelled", _("Cancelled by the applicant")

    FINAL_STATES = (State.CLOSED, State.REFUSED, State.CANCELLED)

    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("case"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="withdrawal",
    )
    state = FSMField(
        _("state"), max_length=30, default=State.SUBMITTED, choices=State.choices, protected=True
    )
    ground = models.CharField(_("ground"), max_length=30, choices=WithdrawalGround.choices)
    account = models.ForeignKey(
        "accounts.PersonalAccount",
        verbose_name=_("personal account"),
        on_delete=models.PROTECT,
        related_name="withdrawals",
    )
    # Death: the heir who applies and is paid; a different person from the deceased.
    heir_name = models.CharField(_("heir's name"), max_length=50, blank=True)
    heir_id_number = BlindIndexedCharField(
        _("heir's ID number"), max_length=18, blank=True, index_field="heir_id_number_index"
    )
    heir_id_number_index = models.CharField(max_length=64, null=True, editable=False, db_index=True)
    heir_phone = models.CharField(_("heir's mobile number"), max_length=11, blank=True)
    payee_name = models.CharField(_("account holder's name"), max_length=50)
    bank_name = models.CharField(_("bank"), max_length=100)
    bank_account = EncryptedCharField(_("bank card number"), max_length=19)
    # Long residence elsewhere: declared by the applicant, corrected by the clerk from the
    # settlement records, since the ledger does not say where a charge was made.
    last_local_treatment_on = models.DateField(
        _("last treatment in the enrollment region"), null=True, blank=True
    )
    fee_exempt_group = models.CharField(
        _("group exempt from the fee"),
        max_length=40,
        blank=True,
        help_text=_("Claimed by the applicant, cleared by the clerk if it is not verified."),
    )
    outstanding_costs = models.DecimalField(
        _("outstanding costs or overdraft (yuan)"), default=Decimal("0.00"), **MONEY
    )
    requested_documents = ArrayField(
        models.CharField(max_length=30),
        verbose_name=_("documents requested"),
        default=list,
        blank=True,
    )
    refusal_reasons = ArrayField(
        models.TextField(), verbose_name=_("reasons for refusal"), default=list, blank=True
    )
    # What was paid, written by the payout step.
    individual_part = models.DecimalField(
        _("individually funded part"), null=True, blank=True, **MONEY
    )
    employer_part = models.DecimalField(_("employer-funded part"), null=True, blank=True, **MONEY)
    fee = models.DecimalField(_("fee"), null=True, blank=True, **MONEY)
    payout_amount = models.DecimalField(_("amount paid out"), null=True, blank=True, **MONEY)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # 双人复核: the payout one member of staff prepared and who, for a second to confirm.
    prepared_amount = models.DecimalField(_("amount prepared"), null=True, blank=True, **MONEY)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    payout_transaction = models.ForeignKey(
        "accounts.LedgerTransaction",
        verbose_name=_("payout ledger transaction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(outstanding_costs__gte=0), name="withdrawal_outstanding_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(ground=WithdrawalGround.DEATH) | ~Q(heir_id_number=""),
                name="withdrawal_death_has_heir",
            ),
            # One live withdrawal per account; a refused or cancelled one may be tried again.
            models.UniqueConstraint(
                fields=["account"],
                condition=~Q(state__in=["refused", "cancelled"]),
                name="withdrawal_one_live_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_ground_display()}"

    @property
    def payee_is_heir(self) -> bool:
        return self.ground == WithdrawalGround.DEATH

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.WAITING_DOCUMENTS,
        permission=may("withdrawals.process"),
        custom=declare(
            _("Ask for documents"),
            done=_("The applicant is asked for the documents; the clock is paused."),
            history=_("Documents requested"),
            needs_documents=True,
            needs_note=True,
            note_label=_("What is wrong or missing"),
        ),
    )
    def request_documents(self, kinds: list[str]) -> None:
        self.requested_documents = kinds

    @transition(
        field=state,
        source=State.WAITING_DOCUMENTS,
        target=State.SUBMITTED,
        permission=may("withdrawals.documents_supplied"),
        custom=declare(
            _("The requested documents are uploaded"),
            done=_("The case is back in review."),
            history=_("Documents supplied"),
        ),
    )
    def documents_supplied(self) -> None:
        self.requested_documents = []

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.FIRST_REVIEWED,
        permission=may("withdrawals.process"),
        custom=declare(
            _("Pass the first review"),
            done=_("The first review is done; the case goes to second review."),
            history=_("First review done"),
            needs_note=True,
            note_label=_("Note (optional)"),
        ),
    )
    def first_review(self) -> None:
        pass

    @transition(
        field=state,
        source=State.FIRST_REVIEWED,
        target=State.APPROVED,
        permission=may("withdrawals.second_review"),
        custom=declare(
            _("Approve (second review)"),
            done=_("The withdrawal is approved."),
            history=_("Approved"),
            needs_note=True,
            note_label=_("Note (optional)"),
        ),
    )
    def approve(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.SUBMITTED, State.WAITING_DOCUMENTS],
        target=State.REFUSED,
        permission=may("withdrawals.process"),
        custom=declare(
            _("Refuse"),
            done=_("The withdrawal is refused; the applicant is told every reason."),
            history=_("Refused"),
            needs_note=True,
            destructive=True,
            note_label=_("Reasons for the refusal, one per line"),
        ),
    )
    def refuse(self, reasons: list[str]) -> None:
        self.refusal_reasons = reasons

    @transition(
        field=state,
        source=State.FIRST_REVIEWED,
        target=State.REFUSED,
        permission=may("withdrawals.second_review"),
        custom=declare(
            _("Refuse"),
            done=_("The withdrawal is refused; the applicant is told every reason."),
            history=_("Refused on review"),
            needs_note=True,
            destructive=True,
            note_label=_("Reasons for the refusal, one per line"),
        ),
    )
    def refuse_on_review(self, reasons: list[str]) -> None:
        self.refusal_reasons = reasons

    @transition(
        field=state,
        source=[State.SUBMITTED, State.WAITING_DOCUMENTS],
        target=State.CANCELLED,
        permission=may("withdrawals.cancel"),
        custom=declare(
            _("Cancel my application"),
            done=_("Your application is cancelled."),
            history=_("Cancelled"),
            destructive=True,
        ),
    )
    def cancel(self) -> None:
        pass

    @transition(
        field=state,
        source=State.APPROVED,
        target=State.PAID,
        permission=may("withdrawals.process"),
        custom=declare(
            _("Make the payout"),
            done=_("The payout is recorded and the personal account is closed."),
            history=_("Paid out"),
            moves_money=True,
        ),
    )
    def pay(self) -> None:
        pass

    @transition(
        field=state,
        source=State.APPROVED,
        target=State.PAYOUT_PREPARED,
        custom=internal(_("Payout prepared for a second person")),
    )
    def prepare_payout(self, *, amount: Decimal, by: Any) -> None:
        self.prepared_amount = amount
        self.prepared_by = by

    @transition(
        field=state,
        source=State.PAYOUT_PREPARED,
        target=State.PAID,
        permission=may("withdrawals.confirm_payout"),
        custom=declare(
            _("Confirm the payout (second person)"),
            done=_("The payout is confirmed and recorded; the personal account is closed."),
            history=_("Payout confirmed by a second person"),
            moves_money=True,
        ),
    )
    def confirm_payout(self) -> None:
        self.prepared_amount = None
        self.prepared_by = None

    @transition(
        field=state,
        source=State.PAYOUT_PREPARED,
        target=State.APPROVED,
        permission=may("withdrawals.confirm_payout"),
        custom=declare(
            _("Send the payout back"),
            done=_("The payout went back to be prepared again."),
            history=_("Payout sent back by the second person"),
            needs_note=True,
            destructive=True,
            note_label=_("What is wrong"),
        ),
    )
    def send_back_payout(self) -> None:
        self.prepared_amount = None
        self.prepared_by = None

    @transition(
        field=state,
        source=State.PAID,
        target=State.CLOSED,
        custom=internal(_("Personal account closed")),
    )
    def close_account(self) -> None:
        pass


class EmergencyRefund(ConcurrentTransitionMixin, models.Model):
    """急诊垫付: emergency costs the person advanced, credited back to the account."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted, awaiting review")
        APPROVED = "approved", _("Approved, awaiting credit")
        CREDITED = "credited", _("Credited to the account")
        REFUSED = "refused", _("Refused")

    FINAL_STATES = (State.CREDITED, State.REFUSED)

    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("case"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="emergency_refund",
    )
    state = FSMField(
        _("state"), max_length=30, default=State.SUBMITTED, choices=State.choices, protected=True
    )
    account = models.ForeignKey(
        "accounts.PersonalAccount",
        verbose_name=_("personal account"),
        on_delete=models.PROTECT,
        related_name="emergency_refunds",
    )
    hospital = models.CharField(_("hospital"), max_length=100)
    treated_on = models.DateField(_("date of the emergency treatment"))
    amount = models.DecimalField(_("amount advanced (yuan)"), **MONEY)
    approved_amount = models.DecimalField(
        _("amount approved (yuan)"), null=True, blank=True, **MONEY
    )
    refusal_reasons = ArrayField(
        models.TextField(), verbose_name=_("reasons for refusal"), default=list, blank=True
    )
    credited_at = models.DateTimeField(_("credited at"), null=True, blank=True)
    credit_transaction = models.ForeignKey(
        "accounts.LedgerTransaction",
        verbose_name=_("credit ledger transaction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("emergency advance refund")
        verbose_name_plural = _("emergency advance refunds")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | Q(approved_amount__gt=0, approved_amount__lte=models.F("amount")),
                name="refund_approved_within_claim",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.amount}"

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.APPROVED,
        permission=may("withdrawals.process"),
        custom=declare(
            _("Approve the claim"),
            done=_("The claim is approved."),
            history=_("Approved"),
            needs_amount=True,
            amount_label=_("Amount approved (yuan; empty for the whole claim)"),
        ),
    )
    def approve(self, amount: Decimal) -> None:
        self.approved_amount = amount

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.REFUSED,
        permission=may("withdrawals.process"),
        custom=declare(
            _("Refuse"),
            done=_("The claim is refused; the applicant is told every reason."),
            history=_("Refused"),
            needs_note=True,
            destructive=True,
            note_label=_("Reasons for the refusal, one per line"),
        ),
    )
    def refuse(self, reasons: list[str]) -> None:
        self.refusal_reasons = reasons

    @transition(
        field=state,
        source=State.APPROVED,
        target=State.CREDITED,
        permission=may("withdrawals.process"),
        custom=declare(
            _("Credit the account"),
            done=_("The amount is credited to the personal account."),
            history=_("Credited back"),
            moves_money=True,
        ),
    )
    def credit(self) -> None:
        pass
