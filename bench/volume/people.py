"""Who the generated persons are: valid, unique resident ID numbers and mobile numbers
derived from each person's index, and the places and names they are drawn from."""

from __future__ import annotations

import datetime

# Guangdong, Hunan, Zhejiang, Jiangsu: 59 prefectures, one agency each.
PROVINCES = ("44", "43", "33", "32")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蔡蒋余"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍建国志红文辉力海燕鹏飞宇欣怡子轩浩然梓涵"
)

# Birth dates 1950-01-01 + 0..DAYS-1: adults only. DAYS is prime, so that i -> (birth, sequence)
# below is one-to-one for the first DAYS * 1000 persons.
DAYS = 20_011
BIRTH_BASE = datetime.date(1950, 1, 1).toordinal()
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_number(i: int, area: str) -> str:
    """The ID number of generated person i: its (birth date, sequence) pair differs from every
    other generated person's, whatever the area."""
    r, q = i % DAYS, i // DAYS
    birth = datetime.date.fromordinal(BIRTH_BASE + (r * 7919) % DAYS)
    body = f"{area}{birth:%Y%m%d}{(q * 37 + r) % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + _CHECK[total % 11]


def birth_ordinal(i: int) -> int:
    return BIRTH_BASE + ((i % DAYS) * 7919) % DAYS


def phone_number(i: int) -> str:
    return f"1{'3578'[i % 4]}{(i * 7919 + 13_579) % 10**9:09d}"
