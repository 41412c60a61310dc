"""The predicates every workflow's rules are made of: who the user is towards a case (staff of
its agency or of the other agency, the applicant) and what their role lets them do. Each
workflow app composes its steps' rules from these in its own `permissions` module; the
transitions name those rules (`cases.steps.may`), and pages, services and the admin ask the
same rules, so a step is open to the same people everywhere."""

from __future__ import annotations

from typing import Any

import rules

PROCESS = "cases.process_case"
REVIEW = "cases.review_case"
SIGN_OFF = "cases.sign_off_case"


def _case(obj: Any) -> Any:
    return getattr(obj, "case", obj)


def _role(permission: str) -> Any:
    @rules.predicate(name=permission)
    def has_role(user: Any) -> bool:
        # The role comes from the user's groups; a superuser account is an administrator,
        # which decides no case, so it must hold the role like anyone else.
        return bool(
            user.is_active
            and getattr(user, "agency_id", None) is not None
            and user.has_perm(permission)
        )

    return has_role


processes_cases = _role(PROCESS)
reviews_cases = _role(REVIEW)
signs_off = _role(SIGN_OFF)


@rules.predicate
def of_case_agency(user: Any, obj: Any) -> bool:
    """Staff of the agency that runs the case (the origin of a transfer)."""
    agency = getattr(user, "agency_id", None)
    return obj is not None and agency is not None and agency == _case(obj).agency_id


@rules.predicate
def of_either_agency(user: Any, obj: Any) -> bool:
    agency = getattr(user, "agency_id", None)
    case = _case(obj) if obj is not None else None
    return (
        case is not None
        and agency is not None
        and agency
        in (
            case.agency_id,
            case.other_agency_id,
        )
    )


@rules.predicate
def is_applicant(user: Any, obj: Any) -> bool:
    """The login that filed the case, or the insured person on it."""
    if obj is None or user.pk is None:
        return False
    case = _case(obj)
    if case.applicant_id == user.pk:
        return True
    return getattr(user, "person_id", None) is not None and user.person_id == case.person_id


works_on_case = of_either_agency & (processes_cases | reviews_cases | signs_off)
