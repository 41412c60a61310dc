"""Money in yuan: the shape of the money columns, and the one cleaner of an amount that a
person typed or an institution sent."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from accounts.errors import AccountsError

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest amount the money columns hold: 999999999999.99 (12 digits before the point).
MAX_AMOUNT = Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"]) - CENT


def clean_amount(value: Decimal | str | int, *, zero_allowed: bool = False) -> Decimal:
    """An amount in yuan with at most two decimals that the money columns can hold, quantized
    to cents; greater than zero unless `zero_allowed`. A refusal is an `AccountsError` (code
    `amount_invalid`) that says what is wrong; floats are refused outright (a programming
    error, not a typing one: 0.1 has no exact float)."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise _refused(_("The amount is not a number.")) from None
    if not amount.is_finite():
        raise _refused(_("The amount is not a number."))
    if amount < 0 or (amount == 0 and not zero_allowed):
        raise _refused(
            _("The amount cannot be negative.")
            if zero_allowed
            else _("The amount must be greater than zero.")
        )
    # Size before places: quantizing a huge amount overflows the decimal context.
    if amount > MAX_AMOUNT:
        raise _refused(
            _("The amount is too large: at most %(max)s yuan.") % {"max": f"{MAX_AMOUNT:,}"}
        )
    if amount != amount.quantize(CENT):
        raise _refused(_("The amount must be in yuan with at most two decimals."))
    return amount.quantize(CENT) if amount else Decimal("0.00")  # never "-0.00"


def _refused(message: str) -> AccountsError:
    return AccountsError(message, code="amount_invalid")
