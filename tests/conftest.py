from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation

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


class LanguageClient(Client):
    """A test client that asks for pages in the language the test has active, as a browser
    does whose language switch (the language cookie) is set to it: a test under
    `translation.override("en")` reads English pages, one without it the Chinese default."""

    def request(self, **request):  # type: ignore[no-untyped-def]
        self.cookies[settings.LANGUAGE_COOKIE_NAME] = translation.get_language()
        return super().request(**request)


@pytest.fixture
def client() -> LanguageClient:
    return LanguageClient()
