"""Demo transfers between the demo agencies, one or more in every state, some due soon and
some overdue (their clocks started in the past).

Everything goes through the services, and the people are made to fit the rules first: the
origin enrollment stopped (enrollment_end) and an enrollment opened at the destination.
Idempotent: each scenario is marked on its case's first history line and skipped when found.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from accounts.demo import DEMO_PASSWORD
from accounts.models import Agency, Enrollment, InsuredPerson, PersonalAccount, RegionPolicy, User
from accounts.selectors import person_login
from accounts.services import enrollment_end
from cases.workflow import today
from transfers import services
from transfers.choices import PayoutReason, TransferType
from transfers.models import Transfer

AGENCY_CODES = {
    "dongguan": "441900-01",
    "changde": "430700-01",
    "guangzhou": "440100-01",
    "hangzhou": "330100-01",
}


@dataclass(frozen=True)
class Scenario:
    key: str
    origin: str
    destination: str
    # Steps to run after filing, each with how many days ago it happened.
    steps: tuple[tuple[str, int], ...]
    applied_days_ago: int = 1
    ready: bool = True  # False: the person does not meet the rules (a refusal)
    online: bool = False
    payout: str = ""
    received: str | None = None  # an amount that differs from the table


SCENARIOS = (
    Scenario("applied", "guangzhou", "hangzhou", (), applied_days_ago=0),
    Scenario("online-applied", "dongguan", "changde", (), applied_days_ago=0, online=True),
    Scenario("documents", "changde", "dongguan", (("accept", 6), ("request_documents", 3)), 7),
    Scenario("accepted-due-soon", "dongguan", "changde", (("accept", 11),), 12),
    Scenario("accepted-overdue", "hangzhou", "guangzhou", (("accept", 25),), 26),
    Scenario("refused", "dongguan", "hangzhou", (("refuse", 2),), 3, ready=False),
    Scenario("cancelled", "changde", "guangzhou", (("cancel", 1),), 2),
    Scenario("out", "dongguan", "changde", (("accept", 6), ("transfer_out", 2)), 7),
    Scenario("out-overdue", "guangzhou", "changde", (("accept", 20), ("transfer_out", 12)), 21),
    Scenario(
        "in",
        "hangzhou",
        "dongguan",
        (("accept", 9), ("transfer_out", 5), ("confirm_out", 5), ("in", 1)),
        10,
    ),
    # 浙江 has every payment confirmed by a second person (双人复核, region policy).
    Scenario("out-prepared", "hangzhou", "changde", (("accept", 5), ("transfer_out", 1)), 6),
    Scenario(
        "credit-prepared",
        "dongguan",
        "hangzhou",
        (("accept", 8), ("transfer_out", 5), ("in", 2), ("credit", 1)),
        9,
    ),
    Scenario(
        "reconciliation",
        "changde",
        "hangzhou",
        (("accept", 9), ("transfer_out", 6), ("in", 3), ("credit", 2)),
        10,
        received="1.00",
    ),
    Scenario(
        "completed",
        "changde",
        "dongguan",
        (("accept", 14), ("transfer_out", 8), ("in", 4), ("credit", 4)),
        15,
    ),
    Scenario(
        "portable", "dongguan", "guangzhou", (("accept", 8), ("transfer_out", 5), ("in", 2)), 9
    ),
    Scenario(
        "payout",
        "guangzhou",
        "changde",
        (("accept", 8), ("transfer_out", 4), ("in", 1)),
        9,
        payout=PayoutReason.RELOCATED_RETIREE,
    ),
    Scenario(
        "returned",
        "hangzhou",
        "changde",
        (
            ("accept", 12),
            ("transfer_out", 9),
            ("confirm_out", 9),
            ("in", 6),
            ("credit", 5),
            ("return", 4),
        ),
        13,
        received="12.34",
    ),
)


def load_demo() -> list[str]:
    agencies = {k: Agency.objects.filter(code=v).first() for k, v in AGENCY_CODES.items()}
    if not all(agencies.values()):
        return ["transfers: demo agencies missing, no demo transfers"]
    _portable_guangdong()
    _two_people_in_zhejiang()
    made = 0
    # Scenarios are played in order, each in its own transaction, and the history keeps no
    # demo marker: a second run skips as many scenarios as there are demo transfers already.
    played = Transfer.objects.filter(case__agency__in=list(agencies.values())).count()
    for scenario in SCENARIOS[played:]:
        if _play(scenario, agencies) is not None:  # type: ignore[arg-type]
            made += 1
    total = Transfer.objects.count()
    lines = [f"\ntransfers: {made} demo transfers created, {total} in all"]
    online = Transfer.objects.filter(case__channel="online", case__applicant__isnull=False)
    for transfer in online.select_related("case__person"):
        person = transfer.case.person
        lines.append(f"  applicant with a transfer: {person.id_number} / {DEMO_PASSWORD}")
    return lines


def _portable_guangdong() -> None:
    """广东: intra-province transfers move no money (region policy)."""
    policy, _created = RegionPolicy.objects.get_or_create(region_id="440000")
    if policy.balance_portable_in_province is None:
        policy.balance_portable_in_province = True
        policy.save(update_fields=["balance_portable_in_province"])


def _two_people_in_zhejiang() -> None:
    """浙江: a second member of staff confirms every payment, whatever its amount."""
    policy, _created = RegionPolicy.objects.get_or_create(region_id="330000")
    if policy.second_person_from is None:
        policy.second_person_from = Decimal("0.01")
        policy.save(update_fields=["second_person_from"])


def _eligible(agency: Agency, online: bool) -> InsuredPerson | None:
    """An employee of the origin with money, no arrears and no transfer yet. Window
    scenarios leave the people with a login alone; an online one takes such a person, or
    gives an eligible person a demo login when none has one."""
    people = InsuredPerson.objects.filter(
        enrollments__region_id=agency.region_id,
        enrollments__status=Enrollment.Status.ACTIVE,
        enrollments__scheme="employee",
        enrollments__in_arrears=False,
        accounts__status=PersonalAccount.Status.NORMAL,
        accounts__balance__gt=0,
    ).exclude(cases__kind="transfer")
    if not online:
        return people.filter(user__isnull=True).order_by("id_number").first()
    person = people.filter(user__isnull=False).order_by("id_number").first()
    if person is None:
        person = people.order_by("id_number").first()
        if person is not None:
            _give_login(person)
    return person


def _give_login(person: InsuredPerson) -> None:
    mobile = person.phone if not User.objects.filter(mobile=person.phone).exists() else None
    user = User(username=f"applicant-{person.pk}", person=person, mobile=mobile)
    user.set_password(DEMO_PASSWORD)
    user.save()


@transaction.atomic
def _play(scenario: Scenario, agencies: dict[str, Agency]) -> Transfer | None:
    origin, destination = agencies[scenario.origin], agencies[scenario.destination]
    person = _eligible(origin, scenario.online)
    if person is None:
        return None
    day = today() - datetime.timedelta(days=scenario.applied_days_ago)
    if scenario.ready:
        _fit_the_rules(person, origin, destination, day)
    transfer = _file(scenario, person, origin, destination, day)
    for step, days_ago in scenario.steps:
        _STEPS[step](transfer, scenario, today() - datetime.timedelta(days=days_ago))
    return transfer


def _fit_the_rules(
    person: InsuredPerson, origin: Agency, destination: Agency, day: datetime.date
) -> None:
    enrollment = Enrollment.objects.get(
        person=person, region_id=origin.region_id, status=Enrollment.Status.ACTIVE
    )
    stopped_on = day - datetime.timedelta(days=20)
    enrollment_end(enrollment=enrollment, status=Enrollment.Status.STOPPED, by=None, on=stopped_on)
    Enrollment.objects.create(
        person=person,
        region_id=destination.region_id,
        scheme="employee",
        start_date=stopped_on + datetime.timedelta(days=1),
        contribution_months=0,
    )


def _photo(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), (230, 230, 240)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _file(
    scenario: Scenario,
    person: InsuredPerson,
    origin: Agency,
    destination: Agency,
    day: datetime.date,
) -> Transfer:
    applicant = person_login(person) if scenario.online else None
    by = applicant or _staff(origin, "clerk")
    photos = (
        {"id_card_front": _photo("front.png"), "id_card_back": _photo("back.png")}
        if applicant
        else {}
    )
    return services.transfer_apply(
        person=person,
        origin_agency=origin,
        destination_agency=destination,
        transfer_type=TransferType.EMPLOYEE,
        contact_phone=person.phone or "13800000000",
        by=by,
        payout_reason=scenario.payout,
        bank={"bank_name": "中国工商银行", "number": "6222021234567890", "holder": person.name},
        on=day,
        note="",
        **photos,
    )


def _staff(agency: Agency, role: str) -> User:
    return User.objects.get(agency=agency, groups__name=role, username__endswith=f"_{role}")


Step = Callable[[Transfer, Scenario, datetime.date], object]


def _origin(t: Transfer, role: str = "clerk") -> User:
    return _staff(t.case.agency, role)


def _destination(t: Transfer, role: str = "clerk") -> User:
    assert t.case.other_agency is not None  # noqa: S101 - every transfer has both ends
    return _staff(t.case.other_agency, role)


def _credit(t: Transfer, s: Scenario, on: datetime.date) -> object:
    t.refresh_from_db()
    amount = Decimal(s.received) if s.received else t.amount_in_transit
    return services.transfer_credit(case=t.case, by=_destination(t), received_amount=amount, on=on)


_STEPS: dict[str, Step] = {
    "accept": lambda t, s, on: services.transfer_accept(case=t.case, by=_origin(t), on=on),
    "refuse": lambda t, s, on: services.transfer_refuse(case=t.case, by=_origin(t), on=on),
    "cancel": lambda t, s, on: services.transfer_cancel(case=t.case, by=_origin(t), on=on),
    "request_documents": lambda t, s, on: services.transfer_request_documents(
        case=t.case, by=_origin(t), note="请补交原参保地参保凭证", on=on
    ),
    "transfer_out": lambda t, s, on: services.transfer_out(case=t.case, by=_origin(t), on=on),
    "confirm_out": lambda t, s, on: services.transfer_out_confirm(
        case=t.case, by=_origin(t, "supervisor"), on=on
    ),
    "in": lambda t, s, on: services.transfer_in(case=t.case, by=_destination(t), on=on),
    "credit": _credit,
    "return": lambda t, s, on: services.transfer_reconcile_return(
        case=t.case, by=_destination(t, "supervisor"), note="到账金额与信息表不符,退回转出地", on=on
    ),
}
