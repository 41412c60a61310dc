"""PostgreSQL drops the connection: killed in the middle of a request (pg_terminate_backend from
another connection), or while it sits idle between requests. The request that lost it gets the
friendly 500 page, never a traceback; the next request works (CONN_HEALTH_CHECKS).

Requests go through Django's real WSGI handler, not the test client: the test client turns off
the per-request connection checks that this is about."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client
from django.urls import reverse
from werkzeug.test import Client as WsgiClient

from accounts import views as account_views
from tests.accounts.factories import InsuredPersonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _kill(pid: int) -> None:
    """Terminate a backend from a second connection and wait until it is gone."""
    params = connection.get_connection_params()
    with psycopg.connect(
        dbname=params["dbname"],
        host=params.get("host") or None,
        port=params.get("port") or None,
        user=params.get("user") or None,
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):
            row = admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
            if row is None:
                return
            time.sleep(0.05)
    raise AssertionError(f"backend {pid} still alive")


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


@pytest.fixture
def browser(monkeypatch):
    """A signed-in applicant's browser talking to the real WSGI handler, in Chinese; the
    connection persists between requests as in production (CONN_MAX_AGE)."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    person = InsuredPersonFactory()
    user = UserFactory(username="applicant", person=person, mobile=person.phone)
    signed_in = Client()
    signed_in.force_login(user)
    wsgi = WsgiClient(WSGIHandler())
    wsgi.set_cookie("sessionid", signed_in.cookies["sessionid"].value, domain="localhost")
    return wsgi


def _get(browser, path: str):
    return browser.get(path, headers={"Accept-Language": "zh-hans", "Host": "localhost"})


def test_a_connection_killed_mid_request_shows_the_friendly_page_then_the_site_works(
    browser, monkeypatch
):
    real = account_views.selectors.applicant_overview
    killed = []

    def overview_after_losing_the_connection(**kwargs):
        if not killed:
            killed.append(_backend_pid())
            _kill(killed[0])
        return real(**kwargs)

    monkeypatch.setattr(
        account_views.selectors, "applicant_overview", overview_after_losing_the_connection
    )
    home = reverse("accounts:home")

    broken = _get(browser, home)
    after = _get(browser, home)

    assert killed, "the hook did not run"
    page = broken.get_data(as_text=True)
    assert broken.status_code == 500
    assert 'id="server-error"' in page
    assert "Traceback" not in page
    assert "OperationalError" not in page
    assert "psycopg" not in page
    assert after.status_code == 200


def test_a_connection_dropped_between_requests_is_replaced_without_an_error(browser, monkeypatch):
    real = account_views.selectors.applicant_overview
    used: list[int] = []

    def overview_noting_the_connection(**kwargs):
        used.append(_backend_pid())
        return real(**kwargs)

    monkeypatch.setattr(
        account_views.selectors, "applicant_overview", overview_noting_the_connection
    )
    home = reverse("accounts:home")
    first = _get(browser, home)
    assert connection.connection is not None, "the connection was not kept between requests"

    _kill(used[0])  # the persistent connection, idle now, dies (a restart, a firewall)
    second = _get(browser, home)

    assert first.status_code == 200
    assert second.status_code == 200
    assert used[1] != used[0]
