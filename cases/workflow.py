"""Running a state transition of any kind of case, and the locks and checks around it.

A workflow service locks its own row, checks its rules, then calls `case_transition`, which
moves the state machine and records the history in the same transaction."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from accounts.models import InsuredPerson
from cases.errors import CaseError
from cases.history import case_record
from cases.models import Case, CaseEvent

if TYPE_CHECKING:
    from accounts.models import User


class Workflow(Protocol):
    """A workflow model: its primary key is the case, its state an FSMField named `state`."""

    pk: Any
    case: Case
    state: str

    def save(self, *args: Any, **kwargs: Any) -> None: ...


W = TypeVar("W", bound=models.Model)


def today() -> datetime.date:
    return timezone.localdate()


def require_four_eyes(*, case: Case, by: User | None, first_actions: Sequence[str]) -> None:
    """Refuse a second review by whoever did the first review of the same case."""
    if by is None:
        return
    if CaseEvent.objects.filter(case=case, actor=by, action__in=first_actions).exists():
        raise CaseError(
            _("The second review must be done by someone other than the first reviewer."),
            code="four_eyes",
        )


def person_lock(person: InsuredPerson) -> None:
    """Serialise one person's applications until the transaction ends, so that the check for an
    open case of theirs and the insert after it are one step: a double click, two tabs or a
    retried request cannot both pass the check."""
    list(InsuredPerson.objects.select_for_update().filter(pk=person.pk).values_list("pk"))


def lock(obj: W) -> W:
    """The row again, locked until the transaction ends: every check after this sees the
    state no other request can change under it."""
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


def case_transition(
    *,
    obj: Workflow,
    transition: str,
    by: User | None,
    reason: str = "",
    actor_label: str = "",
    **kwargs: Any,
) -> Workflow:
    """Run the named FSM transition on a row the caller has locked, save it, mirror the
    state onto the case and write the history row. Refuses with a CaseError, never a 500."""
    method = getattr(obj, transition)
    if not can_proceed(method):
        raise CaseError(
            _("This step is not possible while the case is “%(state)s”.")
            % {"state": _state_label(obj)},
            code="wrong_state",
        )
    if by is not None and not has_transition_perm(method, by):
        raise CaseError(_("You may not take this step on this case."), code="forbidden")
    before = obj.state
    method(**kwargs)
    obj.save()
    case = obj.case
    case.state = obj.state
    update = ["state", "updated_at"]
    if _is_final(obj):
        case.closed_at = timezone.now()
        update.append("closed_at")
    case.save(update_fields=update)
    case_record(
        case=case,
        action=transition,
        by=by,
        from_state=before,
        to_state=obj.state,
        reason=reason,
        actor_label=actor_label,
    )
    return obj


def _state_label(obj: Workflow) -> str:
    field = type(obj)._meta.get_field("state")  # type: ignore[attr-defined]
    return str(dict(field.choices or []).get(obj.state, obj.state))


def _is_final(obj: Workflow) -> bool:
    final = getattr(type(obj), "FINAL_STATES", ())
    return obj.state in final
