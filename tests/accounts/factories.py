from __future__ import annotations

import datetime
import random
from decimal import Decimal

import factory
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
from accounts.services import ledger_credit

_rng = random.Random(7)


def valid_id_number(area: str = "441900", birth: datetime.date | None = None) -> str:
    birth = birth or datetime.date(1980, 1, 1) + datetime.timedelta(days=_rng.randrange(0, 9000))
    body = f"{area}{birth:%Y%m%d}{_rng.randrange(0, 1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def region(code: str, name: str, level: str, parent: Region | None = None) -> Region:
    row, _ = Region.objects.get_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent}
    )
    return row


def guangdong_regions() -> dict[str, Region]:
    gd = region("440000", "广东省", Region.Level.PROVINCE)
    dg = region("441900", "东莞市", Region.Level.PREFECTURE, gd)
    gz = region("440100", "广州市", Region.Level.PREFECTURE, gd)
    th = region("440106", "天河区", Region.Level.COUNTY, gz)
    hn = region("430000", "湖南省", Region.Level.PROVINCE)
    cd = region("430700", "常德市", Region.Level.PREFECTURE, hn)
    return {
        "guangdong": gd,
        "dongguan": dg,
        "guangzhou": gz,
        "tianhe": th,
        "hunan": hn,
        "changde": cd,
    }


class RegionFactory(factory.django.DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "441900"
    name = "东莞市"
    level = Region.Level.PREFECTURE
    parent = factory.LazyFunction(lambda: region("440000", "广东省", Region.Level.PROVINCE))


class AgencyFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"A{n:04d}")
    name = factory.Sequence(lambda n: f"经办机构{n}")
    region = factory.SubFactory(RegionFactory)


class InsuredPersonFactory(factory.django.DjangoModelFactory[InsuredPerson]):
    class Meta:
        model = InsuredPerson

    name = factory.Sequence(lambda n: f"参保人{n}")
    id_number = factory.LazyFunction(valid_id_number)
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class EnrollmentFactory(factory.django.DjangoModelFactory[Enrollment]):
    class Meta:
        model = Enrollment

    person = factory.SubFactory(InsuredPersonFactory)
    region = factory.SubFactory(RegionFactory)
    scheme = Scheme.EMPLOYEE
    status = Enrollment.Status.ACTIVE
    start_date = datetime.date(2015, 1, 1)
    contribution_months = 120


class PersonalAccountFactory(factory.django.DjangoModelFactory[PersonalAccount]):
    class Meta:
        model = PersonalAccount

    enrollment = factory.SubFactory(EnrollmentFactory)
    person = factory.SelfAttribute("enrollment.person")


def funded_account(
    amount: str = "1000.00", source: str = FundSource.INDIVIDUAL, **kwargs: object
) -> PersonalAccount:
    """An account whose balance comes from a real ledger credit, as every balance must."""
    account = PersonalAccountFactory(**kwargs)
    ledger_credit(
        account=account,
        counter=clearing_of(account, ClearingAccount.Kind.CONTRIBUTIONS),
        amount=Decimal(amount),
        fund_source=source,
        kind=LedgerTransaction.Kind.CONTRIBUTION,
    )
    account.refresh_from_db()
    return account


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("Str0ng-pass")


def staff_user(role: str, agency: Agency, username: str | None = None) -> User:
    from django.contrib.auth.models import Group

    user = UserFactory(username=username or f"{agency.code}-{role}", agency=agency, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user
