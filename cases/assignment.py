"""Who holds a case: staff claim a free case or hand back their own; a supervisor assigns.

A transfer belongs to two agencies and each end holds it on its own: `Case.assignee` at the
case's agency (the origin), `Case.other_assignee` at the destination. Whoever is assigned at
the origin does not hold the case at the destination, and the reverse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from cases.errors import CaseError
from cases.history import case_record
from cases.models import Case
from cases.people import staff_name
from cases.roles import works_on
from cases.workflow import lock

if TYPE_CHECKING:
    from accounts.models import User


def assignee_field(case: Case, agency_id: int | None) -> str:
    """The field that holds the case's assignee at this agency."""
    if agency_id is not None and agency_id != case.agency_id and agency_id == case.other_agency_id:
        return "other_assignee"
    return "assignee"


def assignee_at(case: Case, agency_id: int | None) -> User | None:
    """Who holds the case at this agency (the related user is read if not selected yet)."""
    holder: User | None = getattr(case, assignee_field(case, agency_id))
    return holder


def case_assign(*, case: Case, assignee: User | None, by: User) -> Case:
    """Take a free case yourself (claim) or hand back your own; a supervisor also gives a
    case to a colleague of the same agency or takes it from one. Each end of a transfer
    assigns its own staff."""
    case = lock(case)
    if assignee is not None and not works_on(assignee, case):
        raise CaseError(
            _("The case can only go to staff of its own agencies who handle cases."),
            code="bad_assignee",
        )
    field = assignee_field(case, by.agency_id)
    current = getattr(case, f"{field}_id")
    if current == (assignee.pk if assignee else None):
        return case
    _check_may_assign(case=case, assignee=assignee, by=by, current=current)
    before = getattr(case, field)
    setattr(case, field, assignee)
    case.save(update_fields=[field, "updated_at"])
    case_record(
        case=case,
        action="assigned",
        by=by,
        reason=f"{_person(before)} → {_person(assignee)}",
    )
    return case


def _person(user: User | None) -> str:
    return staff_name(user) if user is not None else "—"


def _check_may_assign(*, case: Case, assignee: User | None, by: User, current: int | None) -> None:
    if not works_on(by, case):
        raise CaseError(_("You may not assign this case."), code="forbidden")
    if assignee is not None and assignee.agency_id != by.agency_id:
        raise CaseError(
            _("Each agency assigns its own staff; the other agency assigns its end."),
            code="other_agency",
        )
    if by.has_perm("cases.sign_off_case"):
        return
    if assignee is not None and assignee.pk != by.pk:
        raise CaseError(_("Only a supervisor may assign a case to someone else."), code="forbidden")
    if current not in (None, by.pk):
        raise CaseError(
            _("A colleague holds this case; only a supervisor may reassign it."),
            code="forbidden",
        )
