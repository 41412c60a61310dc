"""Refusals of a whole page (403, 404) are the portal's own pages, in the user's language."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.translation import gettext, override

pytestmark = pytest.mark.django_db


def test_a_forbidden_action_shows_the_portals_page_in_chinese(client, clerk, case):
    client.force_login(clerk)

    response = client.post(reverse("cases:reveal_id", args=[case.pk]))

    assert response.status_code == 403
    with override("zh-hans"):
        assert gettext("You may not do this") in response.content.decode()


def test_a_missing_page_shows_the_portals_page_in_chinese(client, clerk):
    client.force_login(clerk)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    with override("zh-hans"):
        assert gettext("This page does not exist") in response.content.decode()
