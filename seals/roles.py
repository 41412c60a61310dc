"""What the seal key registry adds to the staff roles (merged by accounts.roles): the security
administrator manages the keys (等保: key management is a security duty), the auditor reads."""

from __future__ import annotations

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "secadmin": ["seals.view_sealkey", "seals.add_sealkey", "seals.change_sealkey"],
    "auditor": ["seals.view_sealkey"],
}
