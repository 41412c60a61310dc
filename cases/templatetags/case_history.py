"""Words for the history timeline: actions and states by their labels, not their codes."""

from __future__ import annotations

from django import template

from cases import registry
from cases.models import Case
from cases.steps import declared

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
