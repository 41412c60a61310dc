"""Who may freeze and unfreeze an account: a supervisor (the sign-off role) of the agency that
runs the account's fund, the agency of its enrollment's region or the nearest one above it."""

from __future__ import annotations

from typing import Any

import rules

from cases.permissions import signs_off
from family_pool.rules import agency_for_region

FREEZE = "accounts.freeze_account"


@rules.predicate
def of_account_agency(user: Any, account: Any) -> bool:
    agency_id = getattr(user, "agency_id", None)
    if account is None or agency_id is None:
        return False
    agency = agency_for_region(account.enrollment.region)
    return agency is not None and agency.pk == agency_id


rules.add_perm(FREEZE, signs_off & of_account_agency)


def may_freeze(user: Any, account: Any) -> bool:
    """Unlike `user.has_perm`, it grants a superuser nothing the rule does not."""
    return bool(rules.has_perm(FREEZE, user, account))
