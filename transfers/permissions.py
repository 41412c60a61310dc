"""Who may take each step of a transfer: the rules its transitions name. A transfer belongs to
two agencies; each step belongs to one end of it (docs/DOMAIN.md §2)."""

from __future__ import annotations

from typing import Any

import rules

from cases.permissions import is_applicant, processes_cases, signs_off
from transfers.check import transfer_check
from transfers.selectors import DESTINATION, ORIGIN, side_of


@rules.predicate
def at_origin(user: Any, transfer: Any) -> bool:
    return transfer is not None and side_of(user, transfer) == ORIGIN


@rules.predicate
def at_destination(user: Any, transfer: Any) -> bool:
    return transfer is not None and side_of(user, transfer) == DESTINATION


@rules.predicate
def check_passes(user: Any, transfer: Any) -> bool:
    """Acceptance is open only when the check finds nothing against it; otherwise the clerk
    refuses with every reason the check found (一次性告知)."""
    return transfer is not None and transfer_check(transfer).passed


@rules.predicate
def before_transfer_out(user: Any, transfer: Any) -> bool:
    return transfer is not None and transfer.state in (
        transfer.State.APPLIED,
        transfer.State.ACCEPTED,
    )


@rules.predicate
def paused_at_origin(user: Any, transfer: Any) -> bool:
    """A 补件 request the origin made (before the transfer-out) is the origin's to resume."""
    return transfer is not None and transfer.paused_from in (
        "",
        transfer.State.APPLIED,
        transfer.State.ACCEPTED,
    )


@rules.predicate
def prepared_it(user: Any, transfer: Any) -> bool:
    return transfer is not None and transfer.prepared_by_id == user.pk


origin_clerk = at_origin & processes_cases
destination_clerk = at_destination & processes_cases

rules.add_perm("transfers.accept", origin_clerk & check_passes)
rules.add_perm("transfers.refuse", origin_clerk)
# 补件 at either end: the origin before the transfer-out, the destination during its 5 days.
rules.add_perm(
    "transfers.request_documents",
    (origin_clerk & before_transfer_out) | (destination_clerk & ~before_transfer_out),
)
rules.add_perm(
    "transfers.documents_received",
    is_applicant | (origin_clerk & paused_at_origin) | (destination_clerk & ~paused_at_origin),
)
rules.add_perm("transfers.cancel", is_applicant | ((at_origin | at_destination) & processes_cases))
rules.add_perm("transfers.transfer_out", origin_clerk)
rules.add_perm("transfers.transfer_in", destination_clerk)
rules.add_perm("transfers.credit", destination_clerk)
rules.add_perm("transfers.reconcile", at_destination & signs_off)
# 双人复核: a second member of staff of the same end, never the one who prepared it.
rules.add_perm("transfers.confirm_out", origin_clerk & ~prepared_it)
rules.add_perm("transfers.confirm_credit", destination_clerk & ~prepared_it)
# The exchange page (transfers.exchange.views): a supervisor retries or closes by hand what
# is stuck between this deployment and a peer.
rules.add_perm("transfers.manage_exchange", signs_off)
