"""Who holds a case: staff claim a free case or hand back their own; a supervisor assigns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from cases.errors import CaseError
from cases.history import case_record
from cases.models import Case
from cases.roles import works_on
from cases.workflow import lock

if TYPE_CHECKING:
    from accounts.models import User


def case_assign(*, case: Case, assignee: User | None, by: User) -> Case:
    """Take a free case yourself (claim) or hand back your own; a supervisor also gives a
    case to a colleague or takes it from one."""
    case = lock(case)
    if assignee is not None and not works_on(assignee, case):
        raise CaseError(
            _("The case can only go to staff of its own agencies who handle cases."),
            code="bad_assignee",
        )
    if case.assignee_id == (assignee.pk if assignee else None):
        return case
    _check_may_assign(case=case, assignee=assignee, by=by)
    before = case.assignee
    case.assignee = assignee
    case.save(update_fields=["assignee", "updated_at"])
    case_record(
        case=case,
        action="assigned",
        by=by,
        reason=f"{before or '—'} → {assignee or '—'}",
    )
    return case


def _check_may_assign(*, case: Case, assignee: User | None, by: User) -> None:
    if not works_on(by, case):
        raise CaseError(_("You may not assign this case."), code="forbidden")
    if by.has_perm("cases.sign_off_case"):
        return
    if assignee is not None and assignee.pk != by.pk:
        raise CaseError(_("Only a supervisor may assign a case to someone else."), code="forbidden")
    if case.assignee_id not in (None, by.pk):
        raise CaseError(
            _("A colleague holds this case; only a supervisor may reassign it."),
            code="forbidden",
        )
