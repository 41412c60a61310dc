"""Which staff work on a case: the one test that the history, assignment and workflow
services share (a module of its own, so that none of them imports another for it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User
    from cases.models import Case

CASE_WORK_PERMISSIONS = ("cases.process_case", "cases.review_case", "cases.sign_off_case")


def works_on(user: User, case: Case) -> bool:
    """Whether the user is active staff of one of the case's agencies with a role that
    handles cases (an auditor or an administrator decides nothing)."""
    return works_on_or_audits(user, case) and any(
        user.has_perm(name) for name in CASE_WORK_PERMISSIONS
    )


def works_on_or_audits(user: User, case: Case) -> bool:
    """Staff of one of the case's agencies, whatever their role."""
    return (
        user.is_active
        and user.agency_id is not None
        and user.agency_id in (case.agency_id, case.other_agency_id)
    )
