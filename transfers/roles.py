"""What the transfer models add to the staff roles (merged by accounts.roles)."""

from __future__ import annotations

_READ = [
    "transfers.view_transfer",
    "transfers.view_infotable",
    "transfers.view_bankpayout",
    "transfers.view_creditmismatch",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "clerk": list(_READ),
    "reviewer": list(_READ),
    "supervisor": list(_READ),
    "auditor": list(_READ),
}
