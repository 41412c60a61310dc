"""The zero-sum ledger, checked after every test of a workflow that moves money: each
transaction's debits equal its credits, each personal balance equals its entries, and all
accounts together sum to zero (docs/DOMAIN.md §4)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from accounts.selectors import ledger_differences, ledger_total, unbalanced_transactions


def assert_ledger_balanced() -> None:
    assert unbalanced_transactions() == [], "a ledger transaction is one-sided or unbalanced"
    assert ledger_differences() == [], "a balance differs from its entries"
    assert ledger_total() == 0, "the ledger does not sum to zero"


@pytest.fixture(autouse=True)
def _ledger_stays_balanced(request: pytest.FixtureRequest) -> Iterator[None]:
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        yield
        return
    # Asked for here so that this check runs before the database fixture rolls back.
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    yield
    if connection.needs_rollback:  # the test ended on a refused statement: nothing to read
        return
    assert_ledger_balanced()
