from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import Region


@pytest.fixture
def all_regions(db):
    """The whole GB/T 2260 list, loaded once and kept: it is reference data, not test state
    (a transactional test's flush empties it, and the next user loads it again)."""
    if Region.objects.count() < 3000:
        call_command("load_regions", verbosity=0)
