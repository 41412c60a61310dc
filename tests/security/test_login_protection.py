from __future__ import annotations

import datetime
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from tests.accounts.factories import AgencyFactory, InsuredPersonFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db

PASSWORD = "Str0ng-pass"


def _login(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _fail(client, username, times, address="10.0.0.1"):
    for _ in range(times):
        response = _login(client, username, "wrong-Pass1", address)
    return response


@pytest.fixture
def applicant():
    person = InsuredPersonFactory(phone="13900007777")
    return UserFactory(person=person, mobile=person.phone)


def test_five_wrong_passwords_lock_the_name_even_for_the_right_password(
    client, lockout_on, applicant
):
    _fail(client, applicant.mobile, 5)

    response = _login(client, applicant.mobile, PASSWORD)

    assert response.status_code == 429
    assert "accounts/lockout.html" in [t.name for t in response.templates]
    assert response.context["minutes"] == 30
    assert "_auth_user_id" not in client.session


def test_four_wrong_passwords_do_not_lock(client, lockout_on, applicant):
    _fail(client, applicant.mobile, 4)

    response = _login(client, applicant.mobile, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(applicant.pk)


def test_without_the_lockout_setting_nothing_is_locked(client, applicant):
    _fail(client, applicant.mobile, 6)

    response = _login(client, applicant.mobile, PASSWORD)

    assert response.status_code == 302


def test_the_lockout_counts_the_id_number_as_typed_in_any_spelling(client, lockout_on, applicant):
    number = applicant.person.id_number
    spelled = [number.lower(), f"{number[:6]} {number[6:14]} {number[14:]}", number]
    for typed in spelled + spelled[:2]:
        _login(client, typed, "wrong-Pass1")

    response = _login(client, number, PASSWORD)

    assert response.status_code == 429
    keys = list(AccessAttempt.objects.values_list("username", flat=True))
    assert len(keys) == 1
    assert number not in keys[0]
    assert keys[0].startswith(f"id:{number[:3]}*************{number[-2:]}:")


def test_the_lockout_is_per_name_and_address(client, lockout_on, applicant):
    other = UserFactory(mobile="13900008888")
    _fail(client, applicant.mobile, 5, address="10.0.0.1")

    from_elsewhere = _login(client, applicant.mobile, PASSWORD, address="10.0.0.2")
    client.logout()
    other_name = _login(client, other.mobile, PASSWORD, address="10.0.0.1")

    assert from_elsewhere.status_code == 302
    assert other_name.status_code == 302


def test_a_successful_login_clears_the_failures_typed_under_the_same_name(
    client, lockout_on, applicant
):
    _fail(client, applicant.mobile, 4)
    _login(client, applicant.mobile, PASSWORD)
    client.logout()

    _fail(client, applicant.mobile, 4)
    response = _login(client, applicant.mobile, PASSWORD)

    assert response.status_code == 302


def test_the_admin_login_is_locked_too(client, lockout_on):
    clerk = staff_user(Role.CLERK, AgencyFactory())
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": clerk.username, "password": "x"})

    response = client.post(
        reverse("admin:login"), {"username": clerk.username, "password": PASSWORD}
    )

    assert response.status_code == 429


def _at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_an_idle_session_older_than_thirty_minutes_is_logged_out(client):
    clerk = staff_user(Role.CLERK, AgencyFactory())
    client.force_login(clerk)
    start = timezone.now()
    home = reverse("accounts:home")

    with _at(start + datetime.timedelta(minutes=29)):
        active = client.get(home)
    with _at(start + datetime.timedelta(minutes=29 + 29)):
        still_active = client.get(home)
    with _at(start + datetime.timedelta(minutes=29 + 29 + 31)):
        idle = client.get(home)

    assert active.status_code == 200
    assert still_active.status_code == 200
    assert idle.status_code == 302
    assert idle.url.startswith(reverse("accounts:login"))


def test_the_security_administrator_unlocks_a_locked_out_name(client, lockout_on):
    clerk = staff_user(Role.CLERK, AgencyFactory())
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": clerk.username, "password": "x"})
    attempt = AccessAttempt.objects.get()
    secadmin = Client()
    secadmin.force_login(staff_user(Role.SECADMIN, clerk.agency))

    secadmin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    response = client.post(
        reverse("accounts:login"), {"username": clerk.username, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(clerk.pk)
