"""What each money step at the destination will do, in figures: the words its confirmation
dialog shows (cases.steps.summarises, registered in transfers.services)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from transfers.models import CreditMismatch, Transfer


def credit_summary(transfer: Transfer) -> str:
    """What confirming the credit does, in figures (shown on the confirming button)."""
    account = transfer.destination_account
    return _("%(amount)s yuan into personal account %(account)s of %(name)s.") % {
        "amount": transfer.prepared_amount,
        "account": account.pk if account is not None else "—",
        "name": transfer.case.person.name,
    }


def received_summary(transfer: Transfer) -> str:
    """What the credit does when the amount received is what the origin sent."""
    return _(
        "%(amount)s yuan sent by %(origin)s into personal account %(account)s of %(name)s; "
        "a different amount received goes to reconciliation instead."
    ) % {
        "amount": transfer.amount_in_transit,
        "origin": transfer.origin_region.name,
        "account": transfer.destination_account_id or "—",
        "name": transfer.case.person.name,
    }


def reconcile_credit_summary(transfer: Transfer) -> str:
    """What crediting the amount actually received does, and what stays in transit."""
    mismatch = CreditMismatch.objects.filter(transfer=transfer).first()
    received = mismatch.received_amount if mismatch is not None else Decimal("0.00")
    return _(
        "%(amount)s yuan received into personal account %(account)s of %(name)s; the "
        "%(short)s yuan short stays in transit, to be settled with %(origin)s."
    ) % {
        "amount": received,
        "account": transfer.destination_account_id or "—",
        "name": transfer.case.person.name,
        "short": max(transfer.amount_in_transit - received, Decimal("0.00")),
        "origin": transfer.origin_region.name,
    }


def return_summary(transfer: Transfer) -> str:
    """What returning the balance does: all of it back where it came from."""
    return _(
        "%(amount)s yuan back into personal account %(account)s of %(name)s at %(origin)s."
    ) % {
        "amount": transfer.amount_in_transit,
        "account": transfer.origin_account_id or "—",
        "name": transfer.case.person.name,
        "origin": transfer.origin_region.name,
    }
