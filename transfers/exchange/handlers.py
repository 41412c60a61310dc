"""What this end does with each kind of message: the same transition the other end took, taken
here as the peer (the history names it), with this end's own clock and books. A handler runs in
the transaction that records the message as applied, and refuses with a CaseError (the state
does not allow it, the person is unknown here): the sender is told why."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.utils.translation import gettext as _

from accounts.models import Agency, InsuredPerson, Region
from accounts.policy import policy_for
from accounts.selectors import person_login
from cases import steps, workflow
from cases.deadlines import deadline_close, deadline_start, deadlines_pause, deadlines_resume
from cases.errors import CaseError
from cases.history import case_open, case_record
from cases.models import Case, CaseKind, DeadlineStep
from transfers import notices
from transfers.check import transfer_check
from transfers.exchange.models import MessageKind
from transfers.exchange.money import arrival_book, departure_settle
from transfers.models import InfoTable, Transfer
from transfers.services.base import locked
from transfers.services.destination import after_completion
from transfers.services.intake import start_intake_clock, start_origin_clocks


@dataclass(frozen=True)
class Message:
    id: str
    kind: str
    reference: str
    sender: Agency
    recipient: Agency
    body: dict[str, Any]

    @property
    def label(self) -> str:
        """Who the history names for a step the other end took."""
        return _("%(agency)s (other system)") % {"agency": self.sender.name}

    def day(self, key: str = "on") -> datetime.date:
        return datetime.date.fromisoformat(str(self.body[key]))

    def amount(self, key: str = "amount") -> Decimal:
        return Decimal(str(self.body[key]))


Handler = Callable[[Message], None]
HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        return handler

    return register


def _transfer(message: Message) -> Transfer:
    """The case's transfer row, locked; it must be between the message's two agencies."""
    case = Case.objects.filter(reference=message.reference, kind=CaseKind.TRANSFER).first()
    if case is None:
        raise CaseError(_("No transfer with this reference is known here."), code="unknown_case")
    ends = {case.agency_id, case.other_agency_id}
    if ends != {message.sender.pk, message.recipient.pk}:
        raise CaseError(_("The case is not between these two agencies."), code="wrong_agencies")
    return locked(case)


def _step(
    transfer: Transfer, method: Callable[..., Any], message: Message, reason: str = ""
) -> Any:
    return steps.case_step(transfer, method, by=None, reason=reason, actor_label=message.label)


# --- at the origin: the application the destination filed ---------------------------------


@handles(MessageKind.APPLICATION)
def on_application(message: Message) -> None:
    body = message.body
    if Case.objects.filter(reference=message.reference).exists():
        raise CaseError(_("A case with this reference exists already."), code="duplicate_case")
    person = InsuredPerson.objects.filter(id_number=body["person"]["id_number"]).first()
    if person is None:
        raise CaseError(_("The person is not insured with this agency."), code="unknown_person")
    if Transfer.objects.filter(case__person=person, case__closed_at__isnull=True).exists():
        raise CaseError(_("There is already an open transfer for this person."), code="duplicate")
    case = case_open(
        kind=CaseKind.TRANSFER,
        person=person,
        agency=message.recipient,
        other_agency=message.sender,
        channel=str(body["channel"]),
        state=Transfer.State.APPLIED,
        by=None,
        applicant=person_login(person),
        reference=message.reference,
        actor_label=message.label,
    )
    bank = body.get("bank") or {}
    transfer = Transfer.objects.create(
        case=case,
        transfer_type=body["transfer_type"],
        origin_region=Region.objects.get(pk=body["origin_region"]),
        destination_region=Region.objects.get(pk=body["destination_region"]),
        contact_phone=str(body["contact_phone"]),
        payout_reason=str(body.get("payout_reason") or ""),
        bank_name=str(bank.get("bank_name", "")),
        bank_account_number=str(bank.get("number", "")),
        bank_account_name=str(bank.get("holder", "")),
        applied_on=message.day("applied_on"),
    )
    # The origin's own intake clock, from the day the application reached it: the days the
    # message spent on the way (the destination's system down) are not the origin's.
    start_intake_clock(transfer, None, start=workflow.today())


# --- at the destination: what the origin decided and sent ----------------------------------


@handles(MessageKind.ACCEPTED)
def on_accepted(message: Message) -> None:
    transfer = _transfer(message)
    transfer.destination_enrollment = transfer_check(transfer).destination_enrollment
    day = message.day()
    _step(transfer, transfer.accept, message)(on=day)
    # The origin's limits, kept here too: a silent origin is escalated like an overdue step.
    start_origin_clocks(transfer, day, None)
    notices.accepted(transfer)


@handles(MessageKind.REFUSED)
def on_refused(message: Message) -> None:
    transfer = _transfer(message)
    note = str(message.body.get("note", ""))
    codes = [str(code) for code in message.body.get("codes", [])]
    _step(transfer, transfer.refuse, message, note)(codes=codes, note=note, on=message.day())
    deadline_close(case=transfer.case, met=False)
    notices.refused(transfer)


@handles(MessageKind.INFO_TABLE)
def on_info_table(message: Message) -> None:
    """The sealed table arrives: kept as sealed (its seal is checked at import, which refuses a
    table altered on the way), and the destination's own clock starts from its receipt."""
    transfer = _transfer(message)
    body = message.body
    InfoTable.objects.create(
        transfer=transfer,
        content=body["content"],
        signature=str(body["signature"]),
        key_id=str(body["key_id"]),
        algorithm=str(body["algorithm"]),
    )
    _step(transfer, transfer.transfer_out, message)(
        mode=str(body["money_mode"]), in_transit=Decimal("0.00"), on=message.day()
    )
    deadline_close(case=transfer.case, step=DeadlineStep.TRANSFER_ORIGIN, met=True)
    policy = policy_for(transfer.destination_region)
    deadline_start(
        case=transfer.case,
        step=DeadlineStep.TRANSFER_DESTINATION,
        working_days=policy.transfer_destination_days,
        reminder_days_before=policy.reminder_days_before,
    )
    notices.table_arrived(transfer)


@handles(MessageKind.BALANCE_SENT)
def on_balance_sent(message: Message) -> None:
    transfer = _transfer(message)
    if transfer.state not in (Transfer.State.TRANSFERRED_OUT, Transfer.State.DOCUMENTS_REQUESTED):
        raise CaseError(_("The balance is not expected in this state."), code="wrong_state")
    amount = message.amount()
    arrival_book(transfer=transfer, amount=amount, key=message.id)
    transfer.amount_in_transit += amount
    transfer.save(update_fields=["amount_in_transit"])
    case_record(
        case=transfer.case,
        action="balance_received",
        by=None,
        actor_label=message.label,
        reason=_("%(amount)s yuan received (payment %(payment)s).")
        % {"amount": amount, "payment": message.body.get("payment_reference", "")},
    )


# --- at the origin: what the destination did ------------------------------------------------


@handles(MessageKind.TRANSFERRED_IN)
def on_transferred_in(message: Message) -> None:
    transfer = _transfer(message)
    day = message.day()
    _step(transfer, transfer.transfer_in, message)(on=day)
    if message.body.get("completed"):
        _step(transfer, transfer.complete, message)(on=day)
        after_completion(transfer, by=None, day=day)


@handles(MessageKind.CREDITED)
def on_credited(message: Message) -> None:
    transfer = _transfer(message)
    amount, day = message.amount(), message.day()
    if amount > transfer.amount_in_transit:
        raise CaseError(_("More was credited than was sent."), code="too_much")
    departure_settle(transfer=transfer, amount=amount)
    if transfer.state == Transfer.State.RECONCILIATION:
        _step(transfer, transfer.reconcile_credit, message)(credited=amount, on=day)
    else:
        _step(transfer, transfer.credit, message)(received=amount, matches=True, on=day)
    after_completion(transfer, by=None, day=day)


@handles(MessageKind.MISMATCH)
def on_mismatch(message: Message) -> None:
    transfer = _transfer(message)
    reason = _("Received %(received)s yuan, the information table says %(expected)s.") % {
        "received": message.body.get("received"),
        "expected": message.body.get("expected"),
    }
    _step(transfer, transfer.credit, message, reason)(
        received=message.amount("received"), matches=False, on=workflow.today()
    )


# --- either end --------------------------------------------------------------------------------


@handles(MessageKind.CANCELLED)
def on_cancelled(message: Message) -> None:
    transfer = _transfer(message)
    _step(transfer, transfer.cancel, message)(on=message.day())
    deadline_close(case=transfer.case, met=False)


@handles(MessageKind.DOCUMENTS_REQUESTED)
def on_documents_requested(message: Message) -> None:
    transfer = _transfer(message)
    note = str(message.body.get("note", ""))
    _step(transfer, transfer.request_documents, message, note)(note=note)
    deadlines_pause(case=transfer.case, by=None, on=message.day())


@handles(MessageKind.DOCUMENTS_RECEIVED)
def on_documents_received(message: Message) -> None:
    transfer = _transfer(message)
    cast(Callable[[], str], _step(transfer, transfer.documents_received, message))()
    policy = policy_for(transfer.origin_region)
    deadlines_resume(
        case=transfer.case,
        by=None,
        on=message.day(),
        reminder_days_before=policy.reminder_days_before,
    )
