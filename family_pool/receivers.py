"""Receivers of other apps' signals."""

from __future__ import annotations

from typing import Any

from family_pool.services import bindings_end_for_coverage


def end_bindings_on_coverage_end(
    sender: Any, *, person: Any, reason: str, by: Any = None, **kwargs: Any
) -> None:
    """`accounts.signals.coverage_ended` is sent inside the transaction of the change, so
    the bindings end, or stay, with it."""
    bindings_end_for_coverage(person=person, reason=reason, by=by)
