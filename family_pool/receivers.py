"""Receivers of other apps' signals."""

from __future__ import annotations

from typing import Any

from accounts.clearing import clearing_account
from accounts.models import ClearingAccount
from family_pool.models import Institution
from family_pool.services import bindings_end_for_coverage


def end_bindings_on_coverage_end(
    sender: Any, *, person: Any, reason: str, by: Any = None, **kwargs: Any
) -> None:
    """`accounts.signals.coverage_ended` is sent inside the transaction of the change, so
    the bindings end, or stay, with it."""
    bindings_end_for_coverage(person=person, reason=reason, by=by)


def open_settlement_clearing(sender: Any, *, instance: Institution, **kwargs: Any) -> None:
    """A charge credits the settlement clearing of the institution's region from inside one
    statement that does not create it (family_pool/charging/locked.py): it exists from the
    moment the institution does."""
    clearing_account(region_id=instance.region_id, kind=ClearingAccount.Kind.SETTLEMENT)
