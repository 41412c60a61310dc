"""What the family-pool models add to the staff roles (merged by accounts.roles)."""

from __future__ import annotations

_READ = [
    "family_pool.view_binding",
    "family_pool.view_institution",
    "family_pool.view_insurancecard",
    "family_pool.view_charge",
    "family_pool.view_chargepart",
    "family_pool.view_flaggedcharge",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Clerks issue cards at the window and look into flagged charges.
    "clerk": [
        *_READ,
        "family_pool.add_insurancecard",
        "family_pool.change_insurancecard",
        "family_pool.review_flaggedcharge",
    ],
    "reviewer": list(_READ),
    "supervisor": [*_READ, "family_pool.review_flaggedcharge"],
    "auditor": list(_READ),
    # Institutions and their keys are configuration, like regions and policies.
    "sysadmin": [
        "family_pool.view_institution",
        "family_pool.add_institution",
        "family_pool.change_institution",
    ],
}
