"""What the withdrawal models add to the staff roles (merged by accounts.roles)."""

from __future__ import annotations

_READ = ["withdrawals.view_withdrawal", "withdrawals.view_emergencyrefund"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "clerk": _READ,
    "reviewer": _READ,
    "supervisor": _READ,
    "auditor": _READ,
}
