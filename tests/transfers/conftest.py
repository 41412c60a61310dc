from __future__ import annotations

import pytest

from tests.accounts.factories import staff_user
from tests.ledger_check import _ledger_stays_balanced  # noqa: F401 - autouse, after every test
from tests.transfers.factories import World, world


@pytest.fixture
def places(db) -> World:
    return world()


@pytest.fixture
def origin_clerk(places):
    return staff_user("clerk", places.dongguan)


@pytest.fixture
def destination_clerk(places):
    return staff_user("clerk", places.changde)


@pytest.fixture
def destination_supervisor(places):
    return staff_user("supervisor", places.changde)
