"""What stops a transfer application before it is filed. The applicant online is told at once
every reason the origin clerk would find at acceptance (the same `route_check`), plus a case
of the person already open; at the window the clerk takes the application in and decides.
What only staff can decide (the documents, a payout reason's proof) stays with staff."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.freezes.selectors import freeze_kinds
from accounts.models import Agency, InsuredPerson
from seals.peers import is_remote
from transfers.check import ORIGIN_SIDE, Places, Route, reason_text, route_check
from transfers.choices import TYPE_SCHEMES, RefusalReason
from transfers.models import Transfer
from withdrawals.models import Withdrawal


def open_transfer_reason(person: InsuredPerson, *, you: bool) -> str:
    if not Transfer.objects.filter(case__person=person, case__closed_at__isnull=True).exists():
        return ""
    if you:
        return _("You already have a transfer in progress: follow it or cancel it first.")
    return _("There is already an open transfer for this person; follow or cancel it first.")


def open_withdrawal_reason(person: InsuredPerson, *, you: bool) -> str:
    # The balance a withdrawal is paying out cannot be moved elsewhere meanwhile.
    if not Withdrawal.objects.filter(case__person=person, case__closed_at__isnull=True).exists():
        return ""
    if you:
        return _(
            "You have a withdrawal of your personal account balance in progress: a transfer "
            "can be applied for once it is completed or cancelled."
        )
    return _(
        "This person has a withdrawal of the personal account balance in progress; a "
        "transfer cannot be applied for until it is completed or cancelled."
    )


def open_case_reasons(person: InsuredPerson) -> list[str]:
    """What stops any transfer of this person now, whatever the route (said before the form)."""
    return [
        reason
        for reason in (
            open_transfer_reason(person, you=True),
            open_withdrawal_reason(person, you=True),
        )
        if reason
    ]


def application_reasons(
    *, person: InsuredPerson, origin: Agency, destination: Agency, transfer_type: str
) -> list[str]:
    """Every reason this person's application would be refused, worded for them (您)."""
    reasons = open_case_reasons(person)
    if transfer_type not in TYPE_SCHEMES:
        return reasons
    found = route_check(
        Route(
            person_id=person.pk,
            origin_region_id=origin.region_id,
            destination_region_id=destination.region_id,
            transfer_type=transfer_type,
        )
    )
    places = Places(
        origin=origin.region.name,
        destination=destination.region.name,
        destination_agency=destination.name,
    )
    account = found.origin_account
    # What an agency of another deployment decides is checked there (docs/EXCHANGE.md): the
    # origin's enrollment and account by the origin, the destination's by the destination.
    skipped = {
        *(ORIGIN_SIDE if is_remote(origin.pk) else ()),
        *((RefusalReason.DESTINATION_NOT_ACTIVE,) if is_remote(destination.pk) else ()),
    }
    for code in found.codes:
        if code in skipped:
            continue
        kinds = (
            freeze_kinds(account.pk)
            if code == RefusalReason.ORIGIN_ACCOUNT_FROZEN and account is not None
            else []
        )
        reasons.append(reason_text(code, places, frozen_kinds=kinds))
    return reasons
