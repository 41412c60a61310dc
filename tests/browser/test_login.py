from __future__ import annotations

import pytest

from tests.accounts.factories import AgencyFactory, staff_user
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_logs_in_and_sees_the_chinese_staff_workspace(page):
    clerk = staff_user("clerk", AgencyFactory())

    login(page, clerk.username, "Str0ng-pass")

    page.wait_for_selector("text=工作台")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert clerk.agency.name in page.content()
