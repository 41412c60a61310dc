from __future__ import annotations

import pytest

from tests.family_pool.factories import regions


@pytest.fixture
def places(db):
    return regions()
