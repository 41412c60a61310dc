"""The shapes of what people type to name themselves: mobile and other phone numbers, and
the shape of an ID number (its check digit, birth date and area code are `accounts.idnumbers`).

Digits are ASCII digits only: `\\d` and `str.isdigit` also take full-width and Arabic-Indic
digits, which no SMS gateway or ID register reads."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import luhn

MOBILE_LENGTH = 11
# 中国大陆 mobile numbers: 11 digits, 13x to 19x.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_DIGITS = re.compile(r"[0-9]+")
# A landline may keep the hyphen after its area code (0769-12345678).
_PHONE = re.compile(r"[0-9-]+")
PHONE_MIN_DIGITS = 7
PHONE_MAX_LENGTH = 20
# 17 digits and a check character; whether they make a real number is `parse_id_number`'s.
_ID_NUMBER_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def normalize_phone(value: str) -> str:
    """Without the spaces people type to group the digits (0769 1234 5678)."""
    return re.sub(r"\s", "", value or "")


def normalize_mobile(value: str) -> str:
    """Without the spaces or hyphens people type to group the digits (138-0013-8000)."""
    return re.sub(r"[\s-]", "", value or "")


def is_mobile(value: str) -> bool:
    return _MOBILE.fullmatch(value) is not None


def has_id_number_shape(value: str) -> bool:
    """For a normalized number (`normalize_id_number`)."""
    return _ID_NUMBER_SHAPE.fullmatch(value) is not None


def validate_mobile(value: str) -> None:
    """Says what is wrong: other characters than digits, too few or too many, or a start
    that no mobile number has."""
    number = normalize_mobile(value)
    if not _DIGITS.fullmatch(number):
        raise ValidationError(_("A mobile number has only digits."), code="mobile_not_digits")
    _check_mobile_length(number)
    if not is_mobile(number):
        raise ValidationError(
            _("A mobile number starts with 13 to 19; this one starts with %(start)s."),
            code="mobile_prefix",
            params={"start": number[:2]},
        )


def _check_mobile_length(number: str) -> None:
    params = {"count": len(number)}
    if len(number) < MOBILE_LENGTH:
        raise ValidationError(
            _("This mobile number is too short: it has %(count)d digits, not 11."),
            code="mobile_too_short",
            params=params,
        )
    if len(number) > MOBILE_LENGTH:
        raise ValidationError(
            _("This mobile number is too long: it has %(count)d digits, not 11."),
            code="mobile_too_long",
            params=params,
        )


def validate_phone(value: str) -> None:
    """A contact phone: a mobile number (it starts with 1) or a landline with its area code."""
    number = normalize_phone(value)
    if not _PHONE.fullmatch(number):
        raise ValidationError(
            _("A phone number has only digits, with a hyphen after the area code if you like."),
            code="phone_not_digits",
        )
    if number.startswith("1"):
        validate_mobile(number)
        return
    digits = len(number.replace("-", ""))
    if digits < PHONE_MIN_DIGITS:
        raise ValidationError(
            _("This phone number is too short: it has %(count)d digits, at least 7 are needed."),
            code="phone_too_short",
            params={"count": digits},
        )
    if len(number) > PHONE_MAX_LENGTH:
        raise ValidationError(
            _("This phone number is too long: at most 20 characters."), code="phone_too_long"
        )


def clean_card_number(value: str) -> str:
    """Without the spaces and hyphens people group a card number with."""
    return "".join((value or "").split()).replace("-", "")


def card_check_digit_ok(number: str) -> bool:
    """The Luhn check digit most bank cards carry (python-stdnum). A failure is a warning,
    never a refusal: some cards and passbook accounts carry none."""
    return number.isdigit() and luhn.is_valid(number)
