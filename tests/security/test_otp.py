from __future__ import annotations

import base64
import io

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin_site import PortalAdminSite
from accounts.demo import DEMO_OTP_SECRET, DEMO_PASSWORD
from accounts.roles import Role
from audit.models import AuditEvent
from tests.accounts.factories import AgencyFactory, InsuredPersonFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db

PASSWORD = "Str0ng-pass"


def _code(device, drift=0):
    return f"{totp(device.bin_key, drift=drift):06d}"


def _password_login(client, username, password=PASSWORD):
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    assert response.status_code == 302
    return response


@pytest.fixture
def clerk():
    return staff_user(Role.CLERK, AgencyFactory())


@pytest.fixture
def enrolled_clerk(clerk):
    TOTPDevice.objects.create(user=clerk, name="phone", confirmed=True)
    return clerk


def test_a_clerk_with_only_a_password_is_sent_to_enrol_from_every_staff_page(client, otp_on, clerk):
    _password_login(client, clerk.username)

    pages = [reverse("accounts:home"), reverse("cases:queue"), reverse("admin:index")]
    responses = [client.get(page) for page in pages]

    for page, response in zip(pages, responses, strict=True):
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:otp_setup"))
        assert f"next={page.replace('/', '%2F')}" in response.url


def test_enrolment_shows_a_local_svg_qr_code_and_the_secret_and_keeps_them_on_reload(
    client, otp_on, clerk
):
    client.force_login(clerk)

    first = client.get(reverse("accounts:otp_setup"))
    again = client.get(reverse("accounts:otp_setup"))

    device = TOTPDevice.objects.get(user=clerk)
    secret = base64.b32encode(device.bin_key).decode()
    html = first.content.decode()
    assert first.status_code == 200
    assert "<svg" in html
    assert "<img" not in html
    assert "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in html
    assert not device.confirmed
    assert TOTPDevice.objects.filter(user=clerk).count() == 1
    assert first.context["secret"] == again.context["secret"]


def test_the_first_code_confirms_the_device_and_opens_the_staff_pages(client, otp_on, clerk):
    client.force_login(clerk)
    client.get(reverse("accounts:otp_setup"))
    device = TOTPDevice.objects.get(user=clerk)

    response = client.post(
        reverse("accounts:otp_setup"), {"token": _code(device), "next": reverse("cases:queue")}
    )

    device.refresh_from_db()
    assert response.status_code == 302
    assert response.url == reverse("cases:queue")
    assert device.confirmed
    assert client.get(reverse("accounts:home")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditEvent.objects.filter(user=clerk, action="otp_enrolled").exists()


def test_a_wrong_code_does_not_confirm_the_device(client, otp_on, clerk):
    client.force_login(clerk)
    client.get(reverse("accounts:otp_setup"))
    device = TOTPDevice.objects.get(user=clerk)

    response = client.post(reverse("accounts:otp_setup"), {"token": _code(device, drift=-20)})

    device.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert not device.confirmed
    assert client.get(reverse("accounts:home")).status_code == 302


def test_an_enrolled_clerk_enters_a_code_after_the_password(client, otp_on, enrolled_clerk):
    device = TOTPDevice.objects.get(user=enrolled_clerk)
    _password_login(client, enrolled_clerk.username)
    asked = client.get(reverse("accounts:home"))

    wrong = client.post(reverse("accounts:otp_verify"), {"token": _code(device, drift=-20)})
    right = client.post(reverse("accounts:otp_verify"), {"token": _code(device), "next": "/"})

    assert asked.url.startswith(reverse("accounts:otp_verify"))
    assert wrong.status_code == 200
    assert right.status_code == 302
    assert client.get(reverse("accounts:home")).status_code == 200
    actions = list(AuditEvent.objects.filter(user=enrolled_clerk).values_list("action", flat=True))
    assert {"login", "otp_failed", "otp_verified"} <= set(actions)


def test_an_enrolled_clerk_cannot_enrol_a_second_device_with_the_password_alone(
    client, otp_on, enrolled_clerk
):
    client.force_login(enrolled_clerk)

    response = client.get(reverse("accounts:otp_setup"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:otp_verify"))
    assert TOTPDevice.objects.filter(user=enrolled_clerk).count() == 1


def test_a_code_is_not_accepted_twice(client, otp_on, enrolled_clerk):
    device = TOTPDevice.objects.get(user=enrolled_clerk)
    code = _code(device)
    client.force_login(enrolled_clerk)
    client.post(reverse("accounts:otp_verify"), {"token": code})
    client.logout()
    client.force_login(enrolled_clerk)

    replay = client.post(reverse("accounts:otp_verify"), {"token": code})

    assert replay.status_code == 200
    assert client.get(reverse("accounts:home")).status_code == 302


def test_an_admin_user_without_an_agency_needs_the_code_too(client, otp_on):
    root = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(root)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:otp_setup"))


def test_the_admin_site_itself_refuses_an_unverified_staff_member(otp_on, settings):
    root = UserFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = root
    root.is_verified = lambda: False

    assert isinstance(admin.site, PortalAdminSite)
    assert not admin.site.has_permission(request)
    root.is_verified = lambda: True
    assert admin.site.has_permission(request)
    settings.STAFF_REQUIRE_OTP = False
    root.is_verified = lambda: False
    assert admin.site.has_permission(request)


def test_applicants_never_need_a_code(client, otp_on):
    person = InsuredPersonFactory(phone="13900006666")
    UserFactory(person=person, mobile=person.phone)
    _password_login(client, person.phone)

    assert client.get(reverse("accounts:home")).status_code == 200


def test_with_the_setting_off_staff_sign_in_with_the_password_alone(client, clerk):
    _password_login(client, clerk.username)

    assert client.get(reverse("accounts:home")).status_code == 200


def test_a_demo_staff_user_signs_in_with_the_printed_demo_secret(client, otp_on, all_regions):
    printed = io.StringIO()
    call_command("load_demo", persons_per_agency=1, stdout=printed)
    key = base64.b32decode(DEMO_OTP_SECRET)
    _password_login(client, "dongguan_supervisor", DEMO_PASSWORD)

    response = client.post(reverse("accounts:otp_verify"), {"token": f"{totp(key):06d}"})

    assert DEMO_OTP_SECRET in printed.getvalue()
    assert response.status_code == 302
    assert client.get(reverse("accounts:home")).status_code == 200


def test_the_security_administrator_resets_a_device_without_seeing_its_secret(client):
    clerk = staff_user(Role.CLERK, AgencyFactory())
    device = TOTPDevice.objects.create(user=clerk, name="phone", confirmed=True)
    client.force_login(staff_user(Role.SECADMIN, clerk.agency))

    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    config = client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk]))
    reset = client.post(
        reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"}
    )

    assert page.status_code == 200
    assert device.key not in page.content.decode()
    assert config.status_code == 403
    assert reset.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_after_a_wrong_code_the_page_says_how_long_to_wait(
    client, otp_on, enrolled_clerk, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 30  # django-otp's back-off, as in production (1 s)
    device = TOTPDevice.objects.get(user=enrolled_clerk)
    _password_login(client, enrolled_clerk.username)

    wrong = client.post(reverse("accounts:otp_verify"), {"token": "000000"})
    right_too_soon = client.post(reverse("accounts:otp_verify"), {"token": _code(device)})

    for response in (wrong, right_too_soon):
        html = response.content.decode()
        assert response.status_code == 200
        assert "seconds" in html or "秒" in html
    assert client.get(reverse("cases:queue")).status_code == 302  # still not verified


def test_the_code_page_shows_no_staff_menus_before_the_second_factor(
    client, otp_on, enrolled_clerk
):
    _password_login(client, enrolled_clerk.username)

    html = client.get(reverse("accounts:otp_verify")).content.decode()

    assert reverse("cases:queue") not in html
    assert reverse("cases:dashboard") not in html
