"""The workflow row of a transfer case: its state machine, each step declared once on its
transition (cases.steps), and what the steps write on the row."""

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

from accounts.crypto import EncryptedCharField
from accounts.money import MONEY
from cases.steps import declare, internal, may
from cases.turns import Side
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
        OUT_PREPARED = "out_prepared", _("Transfer-out prepared, awaiting a second person")
        TRANSFERRED_OUT = "transferred_out", _("Transferred out, transfer-in pending")
        TRANSFERRED_IN = "transferred_in", _("Transferred in, credit pending")
        CREDIT_PREPARED = "credit_prepared", _("Credit prepared, awaiting a second person")
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
    # 双人复核: the amount one member of staff prepared and who, for a second to confirm.
    prepared_amount = models.DecimalField(_("amount prepared"), null=True, blank=True, **MONEY)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
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
        # At the origin before the transfer-out, at the destination before the credit.
        source=[State.APPLIED, State.ACCEPTED, State.TRANSFERRED_OUT, State.TRANSFERRED_IN],
        target=State.DOCUMENTS_REQUESTED,
        permission=may("transfers.request_documents"),
        custom=declare(
            _("Ask for documents"),
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
        target=RETURN_VALUE(
            State.APPLIED, State.ACCEPTED, State.TRANSFERRED_OUT, State.TRANSFERRED_IN
        ),
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
        self._sent(mode=mode, in_transit=in_transit, on=on)

    @transition(
        field=state,
        source=State.ACCEPTED,
        target=State.OUT_PREPARED,
        custom=internal(_("Transfer-out prepared for a second person")),
    )
    def prepare_transfer_out(self, *, amount: Decimal, by: Any) -> None:
        self._set_prepared(amount=amount, by=by)

    @transition(
        field=state,
        source=State.OUT_PREPARED,
        target=State.TRANSFERRED_OUT,
        permission=may("transfers.confirm_out"),
        custom=declare(
            _("Confirm the transfer-out (second person)"),
            done=_("Confirmed: the information table is sealed and the balance sent."),
            history=_("Transfer-out confirmed by a second person"),
            moves_money=True,
        ),
    )
    def confirm_transfer_out(self, *, mode: str, in_transit: Decimal, on: datetime.date) -> None:
        self._set_prepared(amount=None, by=None)
        self._sent(mode=mode, in_transit=in_transit, on=on)

    @transition(
        field=state,
        source=State.OUT_PREPARED,
        target=State.ACCEPTED,
        permission=may("transfers.confirm_out"),
        custom=declare(
            _("Send the transfer-out back"),
            done=_("The transfer-out went back to be prepared again."),
            history=_("Transfer-out sent back by the second person"),
            needs_note=True,
            destructive=True,
            note_label=_("What is wrong"),
        ),
    )
    def send_back_transfer_out(self) -> None:
        self._set_prepared(amount=None, by=None)

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
        source=State.TRANSFERRED_IN,
        target=State.CREDIT_PREPARED,
        custom=internal(_("Credit prepared for a second person")),
    )
    def prepare_credit(self, *, amount: Decimal, by: Any) -> None:
        self._set_prepared(amount=amount, by=by)

    @transition(
        field=state,
        source=State.CREDIT_PREPARED,
        target=RETURN_VALUE(State.COMPLETED, State.RECONCILIATION),
        permission=may("transfers.confirm_credit"),
        custom=declare(
            _("Confirm the credit (second person)"),
            done=_("Confirmed: the received amount was recorded."),
            history=_("Credit confirmed by a second person"),
            moves_money=True,
        ),
    )
    def confirm_credit(self, *, received: Decimal, matches: bool, on: datetime.date) -> str:
        self._set_prepared(amount=None, by=None)
        if not matches:
            return self.State.RECONCILIATION
        self._completed(credited=received, on=on)
        return self.State.COMPLETED

    @transition(
        field=state,
        source=State.CREDIT_PREPARED,
        target=State.TRANSFERRED_IN,
        permission=may("transfers.confirm_credit"),
        custom=declare(
            _("Send the credit back"),
            done=_("The credit went back to be entered again."),
            history=_("Credit sent back by the second person"),
            needs_note=True,
            destructive=True,
            note_label=_("What is wrong"),
        ),
    )
    def send_back_credit(self) -> None:
        self._set_prepared(amount=None, by=None)

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

    def _sent(self, *, mode: str, in_transit: Decimal, on: datetime.date) -> None:
        self.money_mode = mode
        self.amount_in_transit = in_transit
        self.transferred_out_on = on

    def _set_prepared(self, *, amount: Decimal | None, by: Any) -> None:
        self.prepared_amount = amount
        self.prepared_by = by

    def _completed(self, *, credited: Decimal | None, on: datetime.date) -> None:
        if credited is not None:
            self.amount_in_transit -= credited
            self.credited_on = on
        self.completed_on = on
        self.closed_on = on


# Which end acts in each state (cases.turns); 补件 belongs to the end that asked.
_ORIGIN_STATES = (
    Transfer.State.APPLIED,
    Transfer.State.ACCEPTED,
    Transfer.State.OUT_PREPARED,
)


def transfer_turn(transfer: Transfer) -> Side | None:
    state = transfer.state
    if state == Transfer.State.DOCUMENTS_REQUESTED:
        state = transfer.paused_from or Transfer.State.APPLIED
    return Side.AGENCY if state in _ORIGIN_STATES else Side.OTHER
