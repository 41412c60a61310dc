from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import SignupCode, User
from cases.sms import MemorySmsSender
from tests.accounts.factories import InsuredPersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    MemorySmsSender.clear()


@pytest.fixture
def person():
    return InsuredPersonFactory(name="张三", phone="13900001111")


def _start(client, person, **changes):
    data = {"id_number": person.id_number, "name": person.name, "mobile": person.phone, **changes}
    return client.post(reverse("accounts:signup"), data)


def _code_from_sms():
    mobile, text = MemorySmsSender.outbox[-1]
    return mobile, "".join(ch for ch in text if ch.isdigit())[:6]


def test_an_applicant_signs_up_with_the_texted_code_and_is_logged_in(
    client, person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _start(client, person)
    mobile, code = _code_from_sms()

    response = client.post(
        reverse("accounts:signup_confirm"),
        {"code": code, "password1": "Yibao-2026x", "password2": "Yibao-2026x"},
    )

    assert mobile == "13900001111"
    assert response.status_code == 302
    user = User.objects.get(person=person)
    assert user.mobile == person.phone
    assert client.get(reverse("accounts:home")).context["person"] == person


@pytest.mark.parametrize("field", ["name", "mobile"])
def test_it_refuses_details_that_do_not_match_the_record_without_saying_which(
    client, person, field
):
    wrong = {"name": "李四", "mobile": "13900002222"}[field]

    response = _start(client, person, **{field: wrong})

    assert response.status_code == 200
    assert (
        "No insured person on record matches" in response.content.decode()
        or "没有与" in response.content.decode()
    )
    assert not SignupCode.objects.exists()


def test_it_refuses_an_invalid_id_number_with_a_clear_message(client, person):
    response = _start(client, person, id_number="110105194912310021")

    assert response.status_code == 200
    assert response.context["form"].errors["id_number"]
    assert not SignupCode.objects.exists()


def test_a_wrong_code_is_counted_and_refused(client, person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _start(client, person)
    _mobile, code = _code_from_sms()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    response = client.post(
        reverse("accounts:signup_confirm"),
        {"code": wrong, "password1": "Yibao-2026x", "password2": "Yibao-2026x"},
    )

    assert response.status_code == 200
    assert SignupCode.objects.get().attempts == 1
    assert not User.objects.filter(person=person).exists()


def test_an_expired_code_is_refused(client, person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _start(client, person)
    _mobile, code = _code_from_sms()
    SignupCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    client.post(
        reverse("accounts:signup_confirm"),
        {"code": code, "password1": "Yibao-2026x", "password2": "Yibao-2026x"},
    )

    assert not User.objects.filter(person=person).exists()


def test_five_wrong_codes_exhaust_the_code(client, person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _start(client, person)
    _mobile, code = _code_from_sms()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        client.post(
            reverse("accounts:signup_confirm"),
            {"code": wrong, "password1": "Yibao-2026x", "password2": "Yibao-2026x"},
        )

    client.post(
        reverse("accounts:signup_confirm"),
        {"code": code, "password1": "Yibao-2026x", "password2": "Yibao-2026x"},
    )

    assert not User.objects.filter(person=person).exists()


def test_a_second_code_within_a_minute_is_refused(client, person):
    _start(client, person)

    response = _start(client, person)

    assert SignupCode.objects.count() == 1
    assert response.context["form"].non_field_errors()


def test_a_registered_person_cannot_sign_up_again(client, person):
    User.objects.create_user(username="applicant-x", person=person, mobile=person.phone)

    _start(client, person)

    assert not SignupCode.objects.exists()


@pytest.mark.parametrize("identifier", ["id_number", "mobile", "id_number_lower_x"])
def test_an_applicant_logs_in_with_id_number_or_mobile(client, identifier):
    person = InsuredPersonFactory(id_number="11010519491231002X", phone="13900003333")
    User.objects.create_user(
        username="applicant-y", person=person, mobile=person.phone, password="Yibao-2026x"
    )
    value = {
        "id_number": person.id_number,
        "mobile": person.phone,
        "id_number_lower_x": person.id_number.lower(),
    }[identifier]

    response = client.post(
        reverse("accounts:login"), {"username": value, "password": "Yibao-2026x"}
    )

    assert response.status_code == 302
    assert client.get(reverse("accounts:home")).context["person"] == person


def test_a_wrong_password_is_refused(client):
    person = InsuredPersonFactory(phone="13900004444")
    User.objects.create_user(
        username="applicant-z", person=person, mobile=person.phone, password="Yibao-2026x"
    )

    response = client.post(
        reverse("accounts:login"), {"username": person.phone, "password": "nope"}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
