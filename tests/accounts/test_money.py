"""The one cleaner of typed amounts, and the form field that uses it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from accounts.errors import AccountsError
from accounts.forms import AmountField
from accounts.money import MAX_AMOUNT, MONEY, clean_amount


@pytest.fixture(autouse=True)
def english():
    # The messages are read in English here; their Chinese is in the catalogue.
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12.3", Decimal("12.30")),
        (" 7 ", Decimal("7.00")),
        (5, Decimal("5.00")),
        ("999999999999.99", Decimal("999999999999.99")),
    ],
)
def test_it_reads_an_amount_as_yuan_with_two_places(typed, expected):
    amount = clean_amount(typed)

    assert amount == expected
    assert amount.as_tuple().exponent == -2


def test_the_largest_amount_fits_the_money_columns():
    digits = len(MAX_AMOUNT.as_tuple().digits)

    assert digits == MONEY["max_digits"]
    assert clean_amount(MAX_AMOUNT) == MAX_AMOUNT


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "not a number"),
        ("", "not a number"),
        ("NaN", "not a number"),
        ("sNaN", "not a number"),
        ("-Infinity", "not a number"),
        ("0", "greater than zero"),
        ("-0.01", "greater than zero"),
        ("1e30", "too large"),
        ("1000000000000", "too large"),
        ("1.005", "two decimals"),
    ],
)
def test_it_says_what_is_wrong_with_an_amount(typed, message):
    with pytest.raises(AccountsError) as refused:
        clean_amount(typed)

    assert message in refused.value.message
    assert refused.value.code == "amount_invalid"


def test_zero_is_an_amount_where_allowed_but_a_negative_one_is_not():
    assert clean_amount("-0", zero_allowed=True) == Decimal("0.00")
    assert str(clean_amount("-0", zero_allowed=True)) == "0.00"

    with pytest.raises(AccountsError) as refused:
        clean_amount("-1", zero_allowed=True)

    assert "negative" in refused.value.message


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        clean_amount(0.1)  # type: ignore[arg-type]


class _Form(forms.Form):
    amount = AmountField(label="amount")
    quota = AmountField(label="quota", required=False, zero_allowed=True)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "1e30"}, "amount", "too large"),
        ({"amount": "NaN"}, "amount", "not a number"),
        ({"amount": "0"}, "amount", "greater than zero"),
        ({"amount": "1", "quota": "-1"}, "quota", "negative"),
        ({"amount": "1", "quota": "0.001"}, "quota", "two decimals"),
    ],
)
def test_the_form_field_gives_the_cleaners_message(data, field, message):
    form = _Form(data)

    assert not form.is_valid()
    assert message in form.errors[field][0]


def test_the_form_field_cleans_to_cents_and_leaves_an_optional_one_empty():
    form = _Form({"amount": "3.5", "quota": ""})

    assert form.is_valid()
    assert form.cleaned_data == {"amount": Decimal("3.50"), "quota": None}
