"""Words for the history timeline: actions and states by their labels, not their codes."""

from __future__ import annotations

from django import template

from cases import registry
from cases.models import Case

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return registry.action_label(action)


@register.filter
def state_label(state: str, case: Case) -> str:
    return registry.state_label(case.kind, state) if state else ""
