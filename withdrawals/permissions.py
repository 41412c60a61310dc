"""Who may take each step of a withdrawal or an emergency refund: the rules their transitions
name. The agency that runs the account's fund handles the case; the second review is never
the first reviewer's (双人复核, docs/DOMAIN.md §3)."""

from __future__ import annotations

from typing import Any

import rules

from accounts.choices import WithdrawalGround
from cases.models import CaseEvent
from cases.permissions import of_case_agency, processes_cases, reviews_cases


@rules.predicate
def is_withdrawal_applicant(user: Any, obj: Any) -> bool:
    """The login that filed the case, or the insured person themself (not for a death, where
    the person on the case is the deceased)."""
    if obj is None or user.pk is None:
        return False
    case = obj.case
    if case.applicant_id == user.pk:
        return True
    own_case = getattr(user, "person_id", None) is not None and user.person_id == case.person_id
    return own_case and getattr(obj, "ground", "") != WithdrawalGround.DEATH


@rules.predicate
def did_first_review(user: Any, obj: Any) -> bool:
    return (
        obj is not None
        and CaseEvent.objects.filter(
            case_id=obj.pk, actor_id=user.pk, action="first_review"
        ).exists()
    )


@rules.predicate
def prepared_it(user: Any, obj: Any) -> bool:
    return obj is not None and getattr(obj, "prepared_by_id", None) == user.pk


clerk = of_case_agency & processes_cases

rules.add_perm("withdrawals.process", clerk)
rules.add_perm("withdrawals.second_review", of_case_agency & reviews_cases & ~did_first_review)
rules.add_perm("withdrawals.documents_supplied", is_withdrawal_applicant | clerk)
rules.add_perm("withdrawals.cancel", is_withdrawal_applicant)
# 双人复核: the payout a colleague prepared, confirmed by another member of the same agency.
rules.add_perm("withdrawals.confirm_payout", clerk & ~prepared_it)
