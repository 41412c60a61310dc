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


@pytest.fixture(autouse=True)
def _fresh_process_calendar():
    """Each test starts with no process-wide working-day calendar: a test's transaction is
    rolled back (or its tables flushed) without the edits ever being announced, so a calendar
    kept from the previous test could hold days that no longer exist."""
    from cases.calendar import forget_calendar

    forget_calendar()
    yield
    forget_calendar()
