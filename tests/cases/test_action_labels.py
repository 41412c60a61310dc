"""The history timeline names every step in words, never by a method name."""

from __future__ import annotations

import pytest
from django.apps import apps

from cases.registry import _KINDS, action_label


def _transition_names() -> list[tuple[str, str]]:
    names = []
    for info in _KINDS.values():
        model = apps.get_model(info.model_label)
        for name in dir(model):
            if hasattr(getattr(model, name, None), "_django_fsm"):
                names.append((info.model_label, name))
    return sorted(set(names))


def test_every_workflow_has_transitions_to_check():
    labels = {label for label, _name in _transition_names()}

    assert labels == {
        "family_pool.Binding",
        "transfers.Transfer",
        "withdrawals.EmergencyRefund",
        "withdrawals.Withdrawal",
    }


@pytest.mark.parametrize(("model", "transition"), _transition_names())
def test_each_transition_has_a_label(model, transition):
    assert action_label(transition) != transition


@pytest.mark.parametrize(
    "action", ["assessed", "origin_account_left_open", "balance_merged", "info_table_viewed"]
)
def test_the_other_recorded_actions_have_a_label(action):
    assert action_label(action) != action
