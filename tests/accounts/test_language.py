"""The language switch is remembered: one address per page, the language from the cookie."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_new_visitor_reads_chinese_whatever_the_browser_asks_for():
    client = Client()

    response = client.get("/login/", headers={"Accept-Language": "en-US,en;q=0.9"})

    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
    assert response["Content-Language"] == "zh-hans"


def test_the_english_switch_is_remembered_for_a_typed_address():
    client = Client()

    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    typed = client.get("/signup/")

    assert switched.status_code == 302
    cookie = switched.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert int(cookie["max-age"]) >= 365 * 24 * 60 * 60  # outlives the browser session
    assert '<html lang="en">' in typed.content.decode()
    assert "Cookie" in typed["Vary"]


def test_switching_back_to_chinese_is_remembered_too():
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/login/"})
    page = client.get("/login/")

    assert '<html lang="zh-hans">' in page.content.decode()


def test_a_cookie_naming_a_language_the_portal_lacks_gives_chinese():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    page = client.get("/login/")

    assert '<html lang="zh-hans">' in page.content.decode()


def test_an_old_english_address_opens_the_same_page_in_english_from_then_on():
    client = Client()

    response = client.get("/en/signup/?next=/mine/")
    followed = client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == "/signup/?next=%2Fmine%2F"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in followed.content.decode()


def test_an_old_english_address_never_leads_off_the_site():
    response = Client().get("/en//evil.example/")

    assert response.status_code == 302
    assert response["Location"] == "/"
