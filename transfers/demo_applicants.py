"""Two demo applicants with no case yet, for trying the online applications as a person would
(the README's demo section names them):

- 陈安迁 left 东莞 (enrollment stopped) and is enrolled in 常德: a transfer 东莞 → 常德 passes
  the check and is filed; the progress page and the "received" message follow.
- 林未迁 is still insured in 东莞 and enrolled nowhere else: a transfer to 常德 is stopped before
  filing, with what to do. Their account also serves a withdrawal on the ground of serious
  illness (the card number check, the documents kept on a form error).

Fixed ID numbers, looked up before anything is written: loading twice creates nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from stdnum.cn import ric

from accounts.clearing import clearing_of
from accounts.demo import DEMO_PASSWORD
from accounts.models import (
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

DONGGUAN, CHANGDE = "441900", "430700"


def _id_number(area: str, birth: str, sequence: str) -> str:
    body = area + birth + sequence
    # calc_check_digit reads the first 17 characters of a full-length number.
    return body + ric.calc_check_digit(body + "0")


@dataclass(frozen=True)
class DemoApplicant:
    name: str
    id_number: str
    mobile: str
    moved_to_changde: bool
    what: str


READY_TO_MOVE = DemoApplicant(
    "陈安迁",
    _id_number(DONGGUAN, "19720315", "123"),
    "13800138101",
    moved_to_changde=True,
    what="transfer 东莞 → 常德 passes the check (progress page, received message)",
)
NOT_ENROLLED_THERE = DemoApplicant(
    "林未迁",
    _id_number(DONGGUAN, "19800612", "246"),
    "13800138102",
    moved_to_changde=False,
    what=(
        "a transfer to 常德 is stopped before filing (not enrolled there); "
        "withdrawal on serious illness (card check, documents kept)"
    ),
)
APPLICANTS = (READY_TO_MOVE, NOT_ENROLLED_THERE)


def load_demo_applicants() -> list[str]:
    if Region.objects.filter(code__in=[DONGGUAN, CHANGDE]).count() != 2:
        return []
    lines = ["\nApplicants for trying the online applications (ID number / password):"]
    for spec in APPLICANTS:
        person = _person(spec)
        lines.append(f"  {person.id_number:<22} {DEMO_PASSWORD}   {spec.name}: {spec.what}")
    return lines


@transaction.atomic
def _person(spec: DemoApplicant) -> InsuredPerson:
    person, created = InsuredPerson.objects.get_or_create(
        id_number=spec.id_number, defaults={"name": spec.name, "phone": spec.mobile}
    )
    if not created:
        return person
    start = datetime.date(2016, 3, 1)
    stopped = datetime.date(2026, 9, 30) if spec.moved_to_changde else None
    enrollment = Enrollment.objects.create(
        person=person,
        region_id=DONGGUAN,
        scheme=Scheme.EMPLOYEE,
        status=Enrollment.Status.STOPPED if stopped else Enrollment.Status.ACTIVE,
        start_date=start,
        end_date=stopped,
        contribution_months=126,
    )
    account = PersonalAccount.objects.create(person=person, enrollment=enrollment)
    for source, amount in ((FundSource.INDIVIDUAL, "3200.00"), (FundSource.EMPLOYER, "800.00")):
        ledger_credit(
            account=account,
            counter=clearing_of(account, ClearingAccount.Kind.CONTRIBUTIONS),
            amount=Decimal(amount),
            fund_source=source,
            kind=LedgerTransaction.Kind.CONTRIBUTION,
            memo="demo opening balance",
            idempotency_key=f"demo:{person.id_number}:{source}",
        )
    if stopped:
        Enrollment.objects.create(
            person=person,
            region_id=CHANGDE,
            scheme=Scheme.EMPLOYEE,
            start_date=stopped + datetime.timedelta(days=1),
            contribution_months=0,
        )
    user = User(username=f"applicant-{person.pk}", person=person, mobile=spec.mobile)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return person
