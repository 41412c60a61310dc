from __future__ import annotations

import pytest

from tests.family_pool.factories import regions
from tests.ledger_check import _ledger_stays_balanced  # noqa: F401 - autouse, after every test


@pytest.fixture
def places(db):
    return regions()
