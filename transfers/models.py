"""Transfer of the insurance relationship between coordination areas (医保关系转移接续,
医保办发〔2021〕43号): the workflow row of a transfer case, its sealed information table
(信息表), the bank payout of the balance-to-bank branch and the queue of credits whose
amount did not match the table.

The row's primary key is its case (cases.Case); `Case.agency` is the origin agency and
`Case.other_agency` the destination agency. Transitions touch only this row: the money,
the deadlines and the notifications are the services' business."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from accounts.crypto import EncryptedCharField, EncryptedJSONField
from accounts.money import MONEY
from cases.steps import declare, internal, may
from transfers.choices import TYPE_SCHEMES, MoneyMode, PayoutReason, RefusalReason, TransferType


def _not_accepted_yet(instance: Any) -> bool:
    return instance.accepted_on is None


class Transfer(ConcurrentTransitionMixin, models.Model):
    class State(models.TextChoices):
        APPLIED = "applied", _("Application received")
        DOCUMENTS_REQUESTED = "documents_requested", _("Waiting for documents")
        ACCEPTED = "accepted", _("Accepted, transfer-out pending")
        REFUSED = "refused", _("Refused (not accepted)")
        CANCELLED = "cancelled", _("Cancelled by the applicant")
        TRANSFERRED_OUT = "transferred_out", _("Transferred out, transfer-in pending")
        TRANSFERRED_IN = "transferred_in", _("Transferred in, credit pending")
        RECONCILIATION = "reconciliation", _("Credit amount mismatch, in reconciliation")
        COMPLETED = "completed", _("Completed")
        RETURNED = "returned", _("Balance returned to the origin")

    FINAL_STATES: ClassVar = (
        State.REFUSED,
        State.CANCELLED,
        State.COMPLETED,
        State.RETURNED,
    )

    # Declared: the FSM mixin hides the default manager from the type checker.
    objects: ClassVar[models.Manager[Transfer]] = models.Manager()

    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("case"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="transfer",
    )
    state = FSMField(
        _("state"), default=State.APPLIED, protected=True, choices=State.choices, max_length=30
    )
    transfer_type = models.CharField(_("type"), max_length=30, choices=TransferType.choices)
    origin_region = models.ForeignKey(
        "accounts.Region",
        verbose_name=_("origin coordination area"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    destination_region = models.ForeignKey(
        "accounts.Region",
        verbose_name=_("destination coordination area"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    payout_reason = models.CharField(
        _("pay the balance to a bank account"),
        max_length=30,
        choices=PayoutReason.choices,
        blank=True,
        default=PayoutReason.NONE,
    )
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account_number = EncryptedCharField(_("bank account number"), max_length=30, blank=True)
    bank_account_name = models.CharField(_("account holder"), max_length=50, blank=True)

    # Fixed at acceptance: the rows the check looked at.
    origin_enrollment = models.ForeignKey(
        "accounts.Enrollment",
        verbose_name=_("origin enrollment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    destination_enrollment = models.ForeignKey(
        "accounts.Enrollment",
        verbose_name=_("destination enrollment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    origin_account = models.ForeignKey(
        "accounts.PersonalAccount",
        verbose_name=_("origin personal account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    destination_account = models.ForeignKey(
        "accounts.PersonalAccount",
        verbose_name=_("destination personal account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    money_mode = models.CharField(
        _("how the balance travels"),
        max_length=10,
        choices=MoneyMode.choices,
        blank=True,
        default=MoneyMode.UNDECIDED,
    )
    # Debited at the origin, not yet credited at the destination: origin balance +
    # destination balance + this amount stays constant through the whole transfer.
    amount_in_transit = models.DecimalField(
        _("amount in transit"), default=Decimal("0.00"), **MONEY
    )
    refusal_codes = ArrayField(
        models.CharField(max_length=30, choices=RefusalReason.choices),
        verbose_name=_("refusal reasons"),
        default=list,
        blank=True,
    )
    refusal_note = models.TextField(_("refusal note"), blank=True)
    documents_note = models.TextField(_("documents requested"), blank=True)
    # The state a 补件 request interrupted, to go back to when the documents come.
    paused_from = models.CharField(_("paused from"), max_length=30, blank=True)

    applied_on = models.DateField(_("applied on"))
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    transferred_out_on = models.DateField(_("transferred out on"), null=True, blank=True)
    transferred_in_on = models.DateField(_("transferred in on"), null=True, blank=True)
    credited_on = models.DateField(_("credited on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    closed_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(amount_in_transit__gte=0), name="transfer_in_transit_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_state_display()}"

    @property
    def origin_scheme(self) -> str:
        return TYPE_SCHEMES[self.transfer_type][0]

    @property
    def destination_scheme(self) -> str:
        return TYPE_SCHEMES[self.transfer_type][1]

    # --- transitions: only this row changes ------------------------------------------
    # Each is declared once: its rule (transfers.permissions), its label and what it needs.

    @transition(
        field=state,
        source=State.APPLIED,
        target=State.ACCEPTED,
        permission=may("transfers.accept"),
        custom=declare(
            _("Check and accept"), done=_("The application was accepted."), history=_("Accepted")
        ),
    )
    def accept(self, *, on: datetime.date) -> None:
        self.accepted_on = on

    @transition(
        field=state,
        source=State.APPLIED,
        target=State.REFUSED,
        permission=may("transfers.refuse"),
        custom=declare(
            _("Refuse (not accepted)"),
            done=_("The application was refused; the applicant is told every reason."),
            history=_("Refused"),
            needs_note=True,
            destructive=True,
            note_label=_("Further reason (besides those the check found)"),
        ),
    )
    def refuse(self, *, codes: list[str], note: str, on: datetime.date) -> None:
        self.refusal_codes = codes
        self.refusal_note = note
        self.closed_on = on

    @transition(
        field=state,
        source=[State.APPLIED, State.ACCEPTED],
        target=State.DOCUMENTS_REQUESTED,
        permission=may("transfers.request_documents"),
        custom=declare(
            _("Ask for documents (补件)"),
            done=_("The applicant was asked for documents; the clock is paused."),
            history=_("Documents requested"),
            needs_note=True,
            note_label=_("Which documents are missing"),
        ),
    )
    def request_documents(self, *, note: str) -> None:
        self.paused_from = self.state
        self.documents_note = note

    @transition(
        field=state,
        source=State.DOCUMENTS_REQUESTED,
        target=RETURN_VALUE(State.APPLIED, State.ACCEPTED),
        permission=may("transfers.documents_received"),
        custom=declare(
            _("Documents received, resume"),
            done=_("The clock runs again."),
            history=_("Documents received"),
        ),
    )
    def documents_received(self) -> str:
        back = self.paused_from or self.State.APPLIED
        self.paused_from = ""
        return back

    @transition(
        field=state,
        source=State.ACCEPTED,
        target=State.TRANSFERRED_OUT,
        permission=may("transfers.transfer_out"),
        custom=declare(
            _("Transfer out"),
            done=_("Transferred out: the information table is sealed and sent."),
            history=_("Transferred out"),
            moves_money=True,
        ),
    )
    def transfer_out(self, *, mode: str, in_transit: Decimal, on: datetime.date) -> None:
        self.money_mode = mode
        self.amount_in_transit = in_transit
        self.transferred_out_on = on

    @transition(
        field=state,
        source=State.TRANSFERRED_OUT,
        target=State.TRANSFERRED_IN,
        permission=may("transfers.transfer_in"),
        custom=declare(
            _("Transfer in"),
            done=_("Transferred in: the information table was verified and imported."),
            history=_("Transferred in"),
        ),
    )
    def transfer_in(self, *, on: datetime.date) -> None:
        self.transferred_in_on = on

    @transition(
        field=state,
        source=State.TRANSFERRED_IN,
        target=RETURN_VALUE(State.COMPLETED, State.RECONCILIATION),
        permission=may("transfers.credit"),
        custom=declare(
            _("Credit the account"),
            done=_("The received amount was recorded."),
            history=_("Account credited"),
            needs_amount=True,
            moves_money=True,
            amount_label=_("Amount received (yuan)"),
        ),
    )
    def credit(self, *, received: Decimal, matches: bool, on: datetime.date) -> str:
        if not matches:
            return self.State.RECONCILIATION
        self._completed(credited=received, on=on)
        return self.State.COMPLETED

    @transition(
        field=state,
        source=State.RECONCILIATION,
        target=State.COMPLETED,
        permission=may("transfers.reconcile"),
        custom=declare(
            _("Credit the received amount"),
            done=_("The received amount was credited."),
            history=_("Received amount credited"),
            needs_note=True,
            moves_money=True,
            note_label=_("Why this resolution"),
        ),
    )
    def reconcile_credit(self, *, credited: Decimal, on: datetime.date) -> None:
        self._completed(credited=credited, on=on)

    @transition(
        field=state,
        source=State.RECONCILIATION,
        target=State.RETURNED,
        permission=may("transfers.reconcile"),
        custom=declare(
            _("Return the balance to the origin"),
            done=_("The balance was returned to the origin."),
            history=_("Balance returned"),
            needs_note=True,
            moves_money=True,
            destructive=True,
            note_label=_("Why this resolution"),
        ),
    )
    def reconcile_return(self, *, on: datetime.date) -> None:
        self.amount_in_transit = Decimal("0.00")
        self.closed_on = on

    @transition(
        field=state,
        source=[State.APPLIED, State.DOCUMENTS_REQUESTED],
        target=State.CANCELLED,
        conditions=[_not_accepted_yet],
        permission=may("transfers.cancel"),
        custom=declare(
            _("Cancel the application"),
            done=_("The application was cancelled."),
            history=_("Cancelled"),
            destructive=True,
        ),
    )
    def cancel(self, *, on: datetime.date) -> None:
        self.closed_on = on

    @transition(
        field=state,
        source=State.TRANSFERRED_IN,
        target=State.COMPLETED,
        custom=internal(_("Completed")),
    )
    def complete(self, *, on: datetime.date) -> None:
        """No money travelled (paid to the bank, portable, nothing to move): done at import."""
        self._completed(credited=None, on=on)

    def _completed(self, *, credited: Decimal | None, on: datetime.date) -> None:
        if credited is not None:
            self.amount_in_transit -= credited
            self.credited_on = on
        self.completed_on = on
        self.closed_on = on


class InfoTable(models.Model):
    """《参保人员基本医疗保险信息表》: what the origin certifies about the person. `content`
    is the whole table; the seal is the origin agency's signature over its canonical JSON (SM2
    over SM3; Ed25519 before), checked by the destination before it imports (transfers.seal)."""

    transfer = models.OneToOneField(
        Transfer, verbose_name=_("transfer"), on_delete=models.PROTECT, related_name="info_table"
    )
    content = EncryptedJSONField(_("content"))
    signature = models.CharField(_("seal (signature)"), max_length=120)
    # The sealing agency is the origin the content names (so the signature covers it), and
    # the key must be that agency's (transfers.seal.verify): no unsigned copy of it here.
    key_id = models.CharField(_("sealing key id"), max_length=32)
    algorithm = models.CharField(_("seal algorithm"), max_length=16, default="SM2-SM3")
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("information table")
        verbose_name_plural = _("information tables")

    def __str__(self) -> str:
        return f"{self.content.get('reference', self.transfer_id)} · {self.key_id}"

    def _money(self, key: str) -> Decimal:
        return Decimal(str(self.content.get(key, "0.00")))

    @property
    def balance(self) -> Decimal:
        return self._money("balance")

    @property
    def individual_part(self) -> Decimal:
        return self._money("individual_part")

    @property
    def employer_part(self) -> Decimal:
        return self._money("employer_part")

    @property
    def contribution_months(self) -> int:
        return int(self.content.get("contribution_months", 0))


class BankPayout(models.Model):
    """The balance paid to the applicant's own bank account instead of the destination."""

    transfer = models.OneToOneField(
        Transfer, verbose_name=_("transfer"), on_delete=models.PROTECT, related_name="payout"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    bank_name = models.CharField(_("bank"), max_length=60)
    account_number = EncryptedCharField(_("bank account number"), max_length=30)
    account_name = models.CharField(_("account holder"), max_length=50)
    ledger_transaction = models.ForeignKey(
        "accounts.LedgerTransaction",
        verbose_name=_("ledger transaction"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_on = models.DateField(_("paid on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("bank payout")
        verbose_name_plural = _("bank payouts")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id} · {self.amount}"


class CreditMismatch(models.Model):
    """A received amount that differs from the 信息表 balance, waiting for a supervisor at
    the destination to credit what came with a note, or to send it back."""

    class Resolution(models.TextChoices):
        OPEN = "", _("Open")
        CREDITED = "credited", _("Received amount credited")
        RETURNED = "returned", _("Returned to the origin")

    transfer = models.OneToOneField(
        Transfer, verbose_name=_("transfer"), on_delete=models.PROTECT, related_name="mismatch"
    )
    expected_amount = models.DecimalField(_("amount in the information table"), **MONEY)
    received_amount = models.DecimalField(_("amount received"), **MONEY)
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=Resolution.choices, blank=True, default=""
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("credit mismatch")
        verbose_name_plural = _("credit mismatches")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(received_amount__gte=0), name="mismatch_received_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.expected_amount} ≠ {self.received_amount}"
