"""Mobile numbers, contact phones and the shape of ID numbers: one copy of each rule, and a
message that says what is wrong."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.forms import MobileField, PhoneField
from accounts.validators import has_id_number_shape, is_mobile, validate_mobile, validate_phone


@pytest.fixture(autouse=True)
def english():
    # The messages are read in English here; their Chinese is in the catalogue.
    with translation.override("en"):
        yield


def _refusal(validator, value) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        validator(value)
    return refused.value


@pytest.mark.parametrize(
    ("typed", "code", "words"),
    [
        ("1234", "mobile_too_short", "too short"),
        ("1390000000", "mobile_too_short", "10 digits"),
        ("139000000001", "mobile_too_long", "too long"),
        ("1390000000x", "mobile_not_digits", "only digits"),
        ("１３９０００００００１", "mobile_not_digits", "only digits"),
        ("12900000001", "mobile_prefix", "starts with 12"),
        ("23900000001", "mobile_prefix", "13 to 19"),
    ],
)
def test_a_mobile_number_is_refused_for_what_is_wrong_with_it(typed, code, words):
    refused = _refusal(validate_mobile, typed)

    assert refused.code == code
    assert words in " ".join(refused.messages)


@pytest.mark.parametrize("typed", ["13900000001", "199 0000 0001", "139-0000-0001"])
def test_a_mobile_number_may_be_typed_in_groups(typed):
    validate_mobile(typed)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("13900000001", True), ("139 0000 0001", False), ("12900000001", False), ("1234", False)],
)
def test_is_mobile_takes_only_a_normalized_mobile_number(value, expected):
    assert is_mobile(value) is expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("1234", "mobile_too_short"),
        ("0769-12", "phone_too_short"),
        ("0769-1234567890123456", "phone_too_long"),
        ("0769/12345678", "phone_not_digits"),
        ("١٢٣٤٥٦٧٨", "phone_not_digits"),
    ],
)
def test_a_contact_phone_is_refused_for_what_is_wrong_with_it(typed, code):
    assert _refusal(validate_phone, typed).code == code


@pytest.mark.parametrize("typed", ["13900000001", "0769-12345678", "0769 1234 5678", "88881234"])
def test_a_contact_phone_is_a_mobile_or_a_landline(typed):
    validate_phone(typed)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("44190019800101001X", True),
        ("441900198001010012", True),
        ("44190019800101001x", False),  # normalized numbers only: upper-case X
        ("４４１９００１９８００１０１００１２", False),
        ("4419001980010100", False),
    ],
)
def test_the_shape_of_an_id_number(value, expected):
    assert has_id_number_shape(value) is expected


class _Form(forms.Form):
    mobile = MobileField(required=False)
    phone = PhoneField(required=False)


def test_the_fields_store_what_was_typed_without_the_grouping():
    form = _Form({"mobile": " 139-0000 0001 ", "phone": "0769 1234 5678"})

    assert form.is_valid()
    assert form.cleaned_data == {"mobile": "13900000001", "phone": "076912345678"}


def test_the_fields_say_what_is_wrong():
    form = _Form({"mobile": "1234", "phone": "12"})

    assert not form.is_valid()
    assert "too short" in form.errors["mobile"][0]
    assert "too short" in form.errors["phone"][0]
