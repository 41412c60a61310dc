"""Demo data: agencies, one staff user per role, a few hundred insured people with money.

Deterministic (a seeded generator) so that a second run finds everything in place and
creates nothing: every row is looked up by a natural key before it is written.
"""

from __future__ import annotations

import base64
import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum.cn import ric

from accounts.clearing import clearing_of
from accounts.models import (
    Agency,
    ClearingAccount,
    Enrollment,
    FundSource,
    InsuredPerson,
    LedgerTransaction,
    PersonalAccount,
    Region,
    Scheme,
    User,
)
from accounts.roles import Role
from accounts.services import ledger_credit
from seals.models import SealKey
from seals.services import seal_key_rotate

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - printed on purpose: these are demo logins
# Every demo staff user's authenticator secret (base32, for the app), printed with the logins.
DEMO_OTP_SECRET = "YIBAODEMOSTAFFTOTPSECRETKEY23456"  # noqa: S105 - demo only, printed on purpose


@dataclass(frozen=True)
class DemoAgency:
    slug: str
    code: str
    name: str
    region: str


AGENCIES = [
    DemoAgency("dongguan", "441900-01", "东莞市社会保障局医疗保险经办中心", "441900"),
    DemoAgency("changde", "430700-01", "常德市医疗保障事务中心", "430700"),
    DemoAgency("guangzhou", "440100-01", "广州市医疗保险服务管理局", "440100"),
    DemoAgency("hangzhou", "330100-01", "杭州市医疗保障服务中心", "330100"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蔡蒋余"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍建国志红文辉力海燕鹏飞宇欣怡子轩浩然梓涵"
)


@dataclass
class DemoResult:
    staff: list[tuple[str, str, str]]
    applicants: list[tuple[str, str, str]]
    persons: int


def make_id_number(rng: random.Random, area: str) -> str:
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 55))
    body = f"{area}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    # calc_check_digit reads the first 17 characters of a full-length number.
    return body + ric.calc_check_digit(body + "0")


def load_demo(*, persons_per_agency: int = 80) -> DemoResult:
    rng = random.Random(2026)  # noqa: S311 - demo data, not secrets
    result = DemoResult(staff=[], applicants=[], persons=0)
    for spec in AGENCIES:
        agency = _agency(spec)
        result.staff += _staff(spec, agency)
        people = _people(rng, agency, persons_per_agency)
        result.persons += len(people)
        result.applicants += _applicants(people[:2])
    return result


def _agency(spec: DemoAgency) -> Agency:
    agency, _ = Agency.objects.get_or_create(
        code=spec.code, defaults={"name": spec.name, "region_id": spec.region}
    )
    if not SealKey.objects.filter(agency=agency).exists():  # they seal 信息表 from the start
        seal_key_rotate(agency=agency, by=None)
    return agency


# Demo staff have people's names (family, given), so that pages name them as they would a
# colleague: "王芳（受理员）", not a role title.
STAFF_NAMES = [
    ("王", "芳"), ("李", "强"), ("张", "静"), ("刘", "洋"), ("陈", "敏"), ("杨", "磊"),
    ("赵", "丽"), ("黄", "勇"), ("周", "婷"), ("吴", "军"), ("徐", "娟"), ("孙", "涛"),
    ("胡", "霞"), ("朱", "斌"), ("高", "燕"), ("林", "峰"), ("何", "雪"), ("郭", "亮"),
    ("马", "琳"), ("罗", "鹏"), ("梁", "慧"), ("宋", "杰"), ("郑", "颖"), ("谢", "超"),
]  # fmt: skip


def _staff(spec: DemoAgency, agency: Agency) -> list[tuple[str, str, str]]:
    logins = []
    offset = [a.slug for a in AGENCIES].index(spec.slug) * len(Role)
    for index, role in enumerate(Role):
        username = f"{spec.slug}_{role.value}"
        family, given = STAFF_NAMES[(offset + index) % len(STAFF_NAMES)]
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"agency": agency, "is_staff": True},
        )
        if user.first_name in ("", str(role.label)):
            user.last_name, user.first_name = family, given
            user.save(update_fields=["last_name", "first_name"])
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role.value))
        TOTPDevice.objects.get_or_create(
            user=user,
            name="demo",
            defaults={"key": base64.b32decode(DEMO_OTP_SECRET).hex(), "confirmed": True},
        )
        logins.append((username, DEMO_PASSWORD, f"{agency.name} · {role.label}"))
    return logins


def _areas(region_code: str) -> list[str]:
    counties = list(Region.objects.filter(parent_id=region_code).values_list("code", flat=True))
    return counties or [region_code]


@dataclass(frozen=True)
class DemoPerson:
    name: str
    id_number: str
    phone: str
    scheme: str
    status: str
    start: datetime.date
    in_arrears: bool
    own: Decimal
    employer: Decimal


def _draw(rng: random.Random, areas: list[str]) -> DemoPerson:
    """Every random value of one person, drawn whether or not it is used, so that a second
    run walks the same sequence and finds the same people."""
    kind = rng.random()
    return DemoPerson(
        name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
        id_number=make_id_number(rng, rng.choice(areas)),
        phone=f"1{rng.choice('3578')}{rng.randrange(0, 10**9):09d}",
        scheme=Scheme.RESIDENT if kind < 0.1 else Scheme.EMPLOYEE,
        status=Enrollment.Status.STOPPED if 0.1 <= kind < 0.15 else Enrollment.Status.ACTIVE,
        start=datetime.date(2010, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 14)),
        in_arrears=rng.random() < 0.03,
        own=Decimal(rng.randrange(20_000, 800_000)) / 100,
        employer=Decimal(rng.randrange(0, 300_000)) / 100,
    )


@transaction.atomic
def _people(rng: random.Random, agency: Agency, count: int) -> list[InsuredPerson]:
    areas = _areas(agency.region_id)
    people = []
    for _i in range(count):
        spec = _draw(rng, areas)
        person, _ = InsuredPerson.objects.get_or_create(
            id_number=spec.id_number, defaults={"name": spec.name, "phone": spec.phone}
        )
        people.append(person)
        if not person.enrollments.exists():
            _enroll(person, agency, spec)
    return people


def _enroll(person: InsuredPerson, agency: Agency, spec: DemoPerson) -> None:
    months = max(1, (datetime.date(2026, 11, 1) - spec.start).days // 30)
    enrollment = Enrollment.objects.create(
        person=person,
        region_id=agency.region_id,
        scheme=spec.scheme,
        status=spec.status,
        start_date=spec.start,
        contribution_months=months,
        in_arrears=spec.in_arrears,
    )
    if spec.scheme != Scheme.EMPLOYEE:
        return
    account = PersonalAccount.objects.create(person=person, enrollment=enrollment)
    for source, amount in ((FundSource.INDIVIDUAL, spec.own), (FundSource.EMPLOYER, spec.employer)):
        if amount > 0:
            ledger_credit(
                account=account,
                counter=clearing_of(account, ClearingAccount.Kind.CONTRIBUTIONS),
                amount=amount,
                fund_source=source,
                kind=LedgerTransaction.Kind.CONTRIBUTION,
                memo="demo opening balance",
                idempotency_key=f"demo:{person.id_number}:{source}",
            )


def _applicants(people: list[InsuredPerson]) -> list[tuple[str, str, str]]:
    logins = []
    for person in people:
        user, created = User.objects.get_or_create(
            username=f"applicant-{person.pk}", defaults={"person": person, "mobile": person.phone}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        logins.append((person.id_number, DEMO_PASSWORD, f"{person.name} · {person.phone}"))
    return logins
