from __future__ import annotations

import pytest
from django.utils import translation

from tests.ledger_check import _ledger_stays_balanced  # noqa: F401 - autouse, after every test


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared in their English source form, whatever the translations say."""
    with translation.override("en"):
        yield
