"""Whose move it is: the agency that can take a case's next step now (`Case.acting_agency`).

The staff queue lists what an agency can act on now, and a transfer belongs to two agencies
that act in turn. Each workflow app registers which end acts in each of its states
(`register_turn`); every step (`cases.steps.case_step`) and every change that moves the turn
without a transition (a holder agreeing to a binding) calls `turn_refresh`."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from cases.models import Case


class Side(Enum):
    AGENCY = "agency"  # the case's agency (a transfer's origin)
    OTHER = "other_agency"  # a transfer's destination


# For a workflow row: the side whose move it is, or None when staff wait on the applicant
# or on nobody.
TurnOf = Callable[[Any], Side | None]

_TURNS: dict[str, TurnOf] = {}


def register_turn(kind: str, turn: TurnOf) -> None:
    _TURNS[kind] = turn


def acting_agency_id(case: Case, workflow: Any) -> int | None:
    if case.closed_at is not None:
        return None
    turn = _TURNS.get(case.kind)
    side = turn(workflow) if turn is not None else Side.AGENCY
    if side is Side.OTHER:
        return case.other_agency_id
    return case.agency_id if side is Side.AGENCY else None


def turn_refresh(workflow: Any) -> None:
    """Set the case's acting agency from its workflow row (which the caller has locked)."""
    case: Case = workflow.case
    acting = acting_agency_id(case, workflow)
    if case.acting_agency_id != acting:
        case.acting_agency_id = acting
        Case.objects.filter(pk=case.pk).update(acting_agency_id=acting)
