"""Words for the history timeline: actions and states by their labels, not their codes."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from cases import registry
from cases.calendar import working_days_between
from cases.models import Case, Deadline
from cases.steps import declared
from cases.workflow import today

register = template.Library()


@register.filter
def action_label(action: str, case: Case | None = None) -> str:
    """A transition is named by its declaration in the case's own workflow (a refund's
    "credit" is not a transfer's); other actions by the shared list."""
    model = registry.workflow_model(case.kind) if case is not None else None
    step = declared(model).get(action) if model is not None else None
    if step is not None:
        return str(step.history_label)
    return registry.action_label(action)


@register.filter
def state_label(state: str, case: Case) -> str:
    return registry.state_label(case.kind, state) if state else ""


@register.filter
def actor_label(label: str) -> str:
    return registry.actor_label(label)


@register.filter
def kind_label(kind: str) -> str:
    return registry.kind_label(kind)


@register.filter
def deadline_status(deadline: Deadline) -> str:
    """A clock's status in words; a running clock past its date reads "overdue", never
    "running", and says by how many working days."""
    if deadline.status != Deadline.Status.OPEN:
        return str(deadline.get_status_display())
    left = working_days_between(today(), deadline.due_on).days
    if deadline.due_on < today():
        return _("Overdue by %(n)d working days") % {"n": -left}
    return _("%(status)s · %(n)d working days left") % {
        "status": deadline.get_status_display(),
        "n": left,
    }


@register.filter
def deadline_overdue(deadline: Deadline) -> bool:
    return deadline.status == Deadline.Status.OPEN and deadline.due_on < today()
