"""What a charge or a refund answers: the charge with how it was paid, or a refusal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from cases.errors import CaseError
from family_pool.models import Charge


class ChargeRefused(CaseError):
    """A refused charge or refund. `status` is the HTTP status the API answers with."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        reasons: list[str] | None = None,
        status: int = 422,
        flagged: bool = False,
    ) -> None:
        super().__init__(message, code=code, reasons=reasons)
        self.status = status
        self.flagged = flagged


@dataclass(frozen=True)
class Payment:
    """A share of a charge as the answer shows it; `relation` is the binding's, None for the
    patient's own account."""

    relation: str | None
    holder_name: str
    amount: Decimal


@dataclass(frozen=True)
class ChargeResult:
    charge: Charge
    replayed: bool
    # Known when the charge was made now (no need to read its parts back).
    payments: list[Payment] | None = None


def replay(charge: Charge, request: dict[str, object]) -> ChargeResult:
    """The answer to a request whose settlement number was already charged: that charge, if
    the request is the same one sent again."""
    same = (
        charge.patient.id_number == request["id_number"]
        and charge.amount == request["amount"]
        and charge.category == request["category"]
    )
    if not same:
        raise ChargeRefused(
            _("This settlement number was already used for a different charge."),
            code="settlement_reused",
            status=409,
        )
    return ChargeResult(charge, replayed=True)
