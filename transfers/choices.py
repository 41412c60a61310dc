"""The fixed lists of a transfer: its type, why its balance goes to a bank, how the balance
travels and why an application is refused. Pages, services and the models share them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Scheme


class TransferType(models.TextChoices):
    EMPLOYEE = "employee", _("Employee scheme to employee scheme")
    RESIDENT = "resident", _("Resident scheme to resident scheme")
    EMPLOYEE_TO_RESIDENT = "employee_to_resident", _("Employee scheme to resident scheme")
    RESIDENT_TO_EMPLOYEE = "resident_to_employee", _("Resident scheme to employee scheme")


# (origin scheme, destination scheme) of each type.
TYPE_SCHEMES: dict[str, tuple[str, str]] = {
    TransferType.EMPLOYEE: (Scheme.EMPLOYEE, Scheme.EMPLOYEE),
    TransferType.RESIDENT: (Scheme.RESIDENT, Scheme.RESIDENT),
    TransferType.EMPLOYEE_TO_RESIDENT: (Scheme.EMPLOYEE, Scheme.RESIDENT),
    TransferType.RESIDENT_TO_EMPLOYEE: (Scheme.RESIDENT, Scheme.EMPLOYEE),
}


class PayoutReason(models.TextChoices):
    NONE = "", _("No: move the balance to the destination")
    DESTINATION_CANNOT_TAKE = (
        "destination_cannot_take",
        _("The destination cannot take the balance"),
    )
    RELOCATED_RETIREE = "relocated_retiree", _("Cross-province relocated retiree, on request")


class MoneyMode(models.TextChoices):
    """How the balance travels; decided at transfer-out from the rules and the application."""

    UNDECIDED = "", _("Not decided yet")
    MOVE = "move", _("Balance sent to the destination account")
    PAYOUT = "payout", _("Balance paid to the applicant's bank account")
    PORTABLE = "portable", _("Balance stays: portable within the province")
    NONE = "none", _("No balance to move")


class RefusalReason(models.TextChoices):
    ORIGIN_NOT_STOPPED = "origin_not_stopped", _("Origin enrollment not stopped")
    DESTINATION_NOT_ACTIVE = "destination_not_active", _("Destination enrollment not active")
    ORIGIN_IN_ARREARS = "origin_in_arrears", _("Contributions in arrears at the origin")
    ORIGIN_ACCOUNT_FROZEN = "origin_account_frozen", _("Origin personal account frozen")
    ORIGIN_ACCOUNT_CLOSED = "origin_account_closed", _("Origin personal account closed")
    SAME_AREA = "same_area", _("Origin and destination are the same coordination area")
    OTHER = "other", _("Other reason given by the agency")
