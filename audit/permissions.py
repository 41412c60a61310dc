"""Who reads the agency's clearing accounts: its supervisors and auditors. The clearing page
asks this rule and the staff home shows its link by the same rule, so no one is offered a page
they cannot open."""

from __future__ import annotations

from typing import Any

import rules

from accounts.roles import Role

VIEW_CLEARING = "audit.view_clearing"


@rules.predicate
def reads_the_books(user: Any) -> bool:
    return bool(
        user.is_active
        and getattr(user, "agency_id", None) is not None
        and user.groups.filter(name__in=(Role.SUPERVISOR, Role.AUDITOR)).exists()
    )


rules.add_perm(VIEW_CLEARING, reads_the_books)


def may_view_clearing(user: Any) -> bool:
    """Unlike `user.has_perm`, it grants a superuser nothing the rule does not."""
    return bool(rules.has_perm(VIEW_CLEARING, user))
