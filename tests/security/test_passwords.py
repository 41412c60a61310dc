from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import (
    get_default_password_validators,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import SignupCode
from accounts.passwords import CharacterClassesValidator
from cases.sms import MemorySmsSender
from tests.accounts.factories import InsuredPersonFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "password", ["Abcdefg1", "abcdefg1!", "ABCDEF1!", "Yibao-2026x", "中文密码ab12"]
)
def test_three_of_four_character_kinds_are_enough(password):
    CharacterClassesValidator().validate(password)


@pytest.mark.parametrize("password", ["abcdefgh1", "ABCDEFGH!", "abcdEFGH", "Ab1!xyz"])
def test_two_kinds_or_fewer_than_eight_characters_are_refused(password):
    with pytest.raises(ValidationError) as refused:
        CharacterClassesValidator().validate(password)

    assert refused.value.code == "password_too_simple"
    assert "8" in refused.value.messages[0]


def test_the_rule_is_one_of_the_configured_validators():
    with pytest.raises(ValidationError) as refused:
        validate_password("yibao20261")

    assert "password_too_simple" in [e.code for e in refused.value.error_list]
    assert any(isinstance(v, CharacterClassesValidator) for v in get_default_password_validators())


def test_the_signup_form_refuses_a_password_of_two_kinds(
    client, django_capture_on_commit_callbacks
):
    MemorySmsSender.clear()
    person = InsuredPersonFactory(name="张三", phone="13900001111")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:signup"),
            {"id_number": person.id_number, "name": person.name, "mobile": person.phone},
        )
    code = "".join(ch for ch in MemorySmsSender.outbox[-1][1] if ch.isdigit())[:6]

    response = client.post(
        reverse("accounts:signup_confirm"),
        {"code": code, "password1": "yibao20261", "password2": "yibao20261"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert SignupCode.objects.get(person=person).used_at is None
