"""Resident identity numbers (居民身份证号码, GB 11643): parsing with a reason for every refusal.

python-stdnum knows the check digit and the GB/T 2260 area codes (historic ones too: a
person born in a since-abolished county keeps that code for life). It only says *that*
a number is wrong; the applicant needs to be told *what* is wrong, in their language.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from accounts.validators import has_id_number_shape

# A name in stdnum's code list with its years of validity: "[1983-2005]东山区".
_SPAN = re.compile(r"^\[(\d{4})?-(\d{4})?\]")


@dataclass(frozen=True)
class ParsedId:
    number: str
    birth_date: datetime.date
    sex: str  # "M" or "F": the 17th digit is odd for men
    area_code: str


def normalize_id_number(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


def parse_id_number(value: str) -> ParsedId:
    number = normalize_id_number(value)
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(count)d."),
            code="id_length",
            params={"count": len(number)},
        )
    if not has_id_number_shape(number):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."), code="id_format"
        )
    try:
        birth_date = ric.get_birth_date(number)
    except StdnumError:
        raise ValidationError(
            _("The birth date in this ID number (%(digits)s) is not a real date."),
            code="id_birth_date",
            params={"digits": number[6:14]},
        ) from None
    if birth_date > timezone.localdate() or birth_date.year < 1900:
        raise ValidationError(
            _("The birth date in this ID number (%(digits)s) is not possible."),
            code="id_birth_date",
            params={"digits": number[6:14]},
        )
    if not _area_code_known(number[:6], birth_date.year):
        raise ValidationError(
            _("The area code %(code)s in this ID number is not a known region."),
            code="id_area_code",
            params={"code": number[:6]},
        )
    if ric.calc_check_digit(number) != number[-1]:
        raise ValidationError(
            _("The last character of this ID number does not match the others; please check it."),
            code="id_check_digit",
        )
    sex = "M" if int(number[16]) % 2 else "F"
    return ParsedId(number=number, birth_date=birth_date, sex=sex, area_code=number[:6])


def _area_code_known(code: str, birth_year: int) -> bool:
    """A GB/T 2260 county code that was still in use in or after the birth year.

    stdnum insists the code existed *in* the birth year, but a number is issued where the
    person is registered when it is issued: someone born in 1970 in Dongguan holds 441900,
    a code created in 1988. A code abolished before the birth could never have been issued.
    """
    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    if "county" not in info or len(code) != 6:
        return False
    for span in info["county"].split(","):
        match = _SPAN.match(span)
        if match is None or match.group(2) is None or int(match.group(2)) >= birth_year:
            return True
    return False


def validate_id_number(value: str) -> None:
    parse_id_number(value)


def mask_id_number(number: str) -> str:
    """Keep the area's first digits and the last two: enough to tell two people apart."""
    if len(number) != 18:
        return "*" * len(number)
    return f"{number[:3]}{'*' * 13}{number[-2:]}"
