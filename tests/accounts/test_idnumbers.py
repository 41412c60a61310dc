from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from stdnum.cn import ric

from accounts.idnumbers import mask_id_number, parse_id_number

VALID = "11010519491231002X"  # GB 11643's own example: Beijing Chaoyang, 1949-12-31, female


def checked(body: str) -> str:
    """A number whose check digit is right, so that only the part under test is wrong."""
    return body + ric.calc_check_digit(body + "0")


BAD_NUMBERS = {
    "check digit": ("110105194912310021", "id_check_digit"),
    "impossible date": (checked("11010519490230002"), "id_birth_date"),
    "future date": (checked("11010520990101002"), "id_birth_date"),
    "unknown area": (checked("99999919491231002"), "id_area_code"),
    "abolished before birth": (checked("11010320110101001"), "id_area_code"),
    "17 digits": ("11010519491231002", "id_length"),
    "letters": ("1101051949123100AX", "id_format"),
}


def test_it_derives_birth_date_and_sex_from_a_valid_number():
    parsed = parse_id_number(VALID)

    assert parsed.birth_date == datetime.date(1949, 12, 31)
    assert parsed.sex == "F"
    assert parsed.area_code == "110105"


def test_it_accepts_lower_case_x_and_spaces():
    parsed = parse_id_number(" 110105 19491231 002x ")

    assert parsed.number == VALID


def test_it_accepts_a_code_created_after_the_birth_year():
    # 441900 (东莞市) dates from 1988; people born before then hold it too.
    number = checked("44190019700101001")

    assert parse_id_number(number).birth_date == datetime.date(1970, 1, 1)


@pytest.mark.parametrize(("number", "code"), BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
def test_it_refuses_a_bad_number_with_its_reason(number, code):
    with pytest.raises(ValidationError) as excinfo:
        parse_id_number(number)

    assert excinfo.value.code == code


@pytest.mark.parametrize(("number", "code"), BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
def test_every_refusal_is_translated_to_chinese(number, code):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        parse_id_number(number)

    with translation.override("zh-hans"):
        message = excinfo.value.messages[0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_it_masks_all_but_the_first_three_and_last_two_characters():
    assert mask_id_number(VALID) == "110*************2X"
