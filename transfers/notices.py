"""What a transfer tells people, one function per event. Each writes outbox rows in the
caller's transaction; the texts are built when written, in the portal's language (users keep
no language of their own, so every notice is in Chinese, the default)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from cases.models import Notification
from cases.notifications import notify, notify_person
from transfers.choices import MoneyMode
from transfers.models import Transfer
from transfers.progress import agency_must_act_by
from transfers.selectors import refusal_messages


def _values(transfer: Transfer) -> dict[str, str]:
    return {
        "ref": transfer.case.reference,
        "origin": transfer.origin_region.name,
        "destination": transfer.destination_region.name,
    }


def _tell_applicant(transfer: Transfer, subject: str, body: str, reasons: bool = False) -> None:
    """`subject` and `body` are source strings marked with gettext_noop below, translated
    here in the portal's language (notify calls `message` with it active)."""

    def message() -> tuple[str, str]:
        values = _values(transfer)
        text = _(body) % values
        if reasons:
            listed = refusal_messages(transfer)
            text += "\n" + "\n".join(f"{i}. {m}" for i, m in enumerate(listed, 1))
        return _(subject) % values, text

    notify_person(person=transfer.case.person, message=message, case=transfer.case)


RECEIVED = (
    gettext_noop("Transfer application %(ref)s received"),
    gettext_noop(
        "We received your application %(ref)s to transfer your insurance from %(origin)s to "
        "%(destination)s on %(day)s. %(agency)s must check it and transfer it out by %(date)s."
    ),
)
ACCEPTED = (
    gettext_noop("Transfer %(ref)s accepted"),
    gettext_noop(
        "Your transfer %(ref)s from %(origin)s to %(destination)s has been accepted. "
        "The origin will transfer it out within the legal time limit."
    ),
)
REFUSED = (
    gettext_noop("Transfer %(ref)s not accepted"),
    gettext_noop("Your transfer %(ref)s cannot be accepted, for these reasons:"),
)
CANCELLED = (
    gettext_noop("Transfer %(ref)s cancelled"),
    gettext_noop("Your transfer application %(ref)s has been cancelled."),
)
DOCUMENTS = (
    gettext_noop("Documents needed for transfer %(ref)s"),
    gettext_noop("Please provide the documents the agency asks for; the case waits for them."),
)
OUT = (
    gettext_noop("Transfer %(ref)s transferred out"),
    gettext_noop("%(origin)s has transferred out your insurance relationship (%(ref)s)."),
)
COMPLETED = (
    gettext_noop("Transfer %(ref)s completed"),
    gettext_noop("Your transfer %(ref)s to %(destination)s is complete."),
)
RETURNED = (
    gettext_noop("Transfer %(ref)s: balance returned"),
    gettext_noop("The balance of transfer %(ref)s was returned to your account in %(origin)s."),
)


def received(transfer: Transfer) -> None:
    """Every application, online or at the window: its number and the day the agency must
    have acted by (the transfer-out limit counted from the day of submission)."""
    due = agency_must_act_by(transfer)

    def message() -> tuple[str, str]:
        values = {
            **_values(transfer),
            "day": transfer.applied_on.isoformat(),
            "agency": transfer.case.agency.name,
            "date": due.on.isoformat() if due is not None else "—",
        }
        return _(RECEIVED[0]) % values, _(RECEIVED[1]) % values

    notify_person(person=transfer.case.person, message=message, case=transfer.case)


def accepted(transfer: Transfer) -> None:
    _tell_applicant(transfer, *ACCEPTED)


def refused(transfer: Transfer) -> None:
    _tell_applicant(transfer, *REFUSED, reasons=True)


def cancelled(transfer: Transfer) -> None:
    _tell_applicant(transfer, *CANCELLED)


def documents_requested(transfer: Transfer) -> None:
    note = transfer.documents_note

    def message() -> tuple[str, str]:
        values = _values(transfer)
        return _(DOCUMENTS[0]) % values, f"{_(DOCUMENTS[1]) % values}\n{note}"

    notify_person(person=transfer.case.person, message=message, case=transfer.case)


def transferred_out(transfer: Transfer) -> None:
    _tell_applicant(transfer, *OUT)


def completed(transfer: Transfer) -> None:
    _tell_applicant(transfer, *COMPLETED)


def returned(transfer: Transfer) -> None:
    _tell_applicant(transfer, *RETURNED)


def _staff(agency_id: int | None, groups: list[str]) -> list[User]:
    if agency_id is None:
        return []
    return list(
        User.objects.filter(agency_id=agency_id, groups__name__in=groups, is_active=True).distinct()
    )


def table_arrived(transfer: Transfer) -> None:
    """The destination's clerks: a 信息表 has arrived and their clock runs."""
    mode = MoneyMode(transfer.money_mode).label if transfer.money_mode else ""

    def message() -> tuple[str, str]:
        values = {**_values(transfer), "mode": str(mode)}
        return (
            _("Information table arrived: %(ref)s") % values,
            _(
                "%(origin)s has sent the information table of transfer %(ref)s (%(mode)s). "
                "Import it within the time limit."
            )
            % values,
        )

    for clerk in _staff(transfer.case.other_agency_id, ["clerk"]):
        notify(
            recipient=clerk,
            case=transfer.case,
            channels=(Notification.Channel.INBOX, Notification.Channel.EMAIL),
            message=message,
        )


def mismatch(transfer: Transfer) -> None:
    """The destination's supervisors: a credit waits in the reconciliation queue."""

    def message() -> tuple[str, str]:
        values = _values(transfer)
        return (
            _("Credit mismatch: %(ref)s") % values,
            _("The amount received for transfer %(ref)s differs from its information table.")
            % values,
        )

    for supervisor in _staff(transfer.case.other_agency_id, ["supervisor"]):
        notify(
            recipient=supervisor,
            case=transfer.case,
            channels=(Notification.Channel.INBOX,),
            message=message,
        )
