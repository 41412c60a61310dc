"""Transfers between real coordination areas: 东莞 and 广州 (both 广东), 常德 (湖南)."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.clearing import clearing_of
from accounts.models import (
    Agency,
    ClearingAccount,
    Enrollment,
    FundSource,
    InsuredPerson,
    LedgerTransaction,
    PersonalAccount,
    Scheme,
)
from accounts.services import ledger_credit
from tests.accounts.factories import (
    AgencyFactory,
    EnrollmentFactory,
    InsuredPersonFactory,
    PersonalAccountFactory,
    guangdong_regions,
    staff_user,
)
from transfers import services
from transfers.choices import TransferType
from transfers.models import Transfer


@dataclass
class World:
    dongguan: Agency
    changde: Agency
    guangzhou: Agency


def world() -> World:
    regions = guangdong_regions()
    return World(
        dongguan=AgencyFactory(code="441900-01", name="东莞医保", region=regions["dongguan"]),
        changde=AgencyFactory(code="430700-01", name="常德医保", region=regions["changde"]),
        guangzhou=AgencyFactory(code="440100-01", name="广州医保", region=regions["guangzhou"]),
    )


def funded(account: PersonalAccount, individual: str, employer: str) -> PersonalAccount:
    for source, amount in ((FundSource.INDIVIDUAL, individual), (FundSource.EMPLOYER, employer)):
        if Decimal(amount) > 0:
            ledger_credit(
                account=account,
                counter=clearing_of(account, ClearingAccount.Kind.CONTRIBUTIONS),
                amount=Decimal(amount),
                fund_source=source,
                kind=LedgerTransaction.Kind.CONTRIBUTION,
            )
    account.refresh_from_db()
    return account


def mover(
    origin: Agency,
    destination: Agency,
    *,
    individual: str = "800.00",
    employer: str = "200.00",
    origin_status: str = Enrollment.Status.STOPPED,
    destination_scheme: str = Scheme.EMPLOYEE,
    destination_account: bool = False,
    in_arrears: bool = False,
    person: InsuredPerson | None = None,
) -> InsuredPerson:
    """A person who meets every rule: employee enrollment stopped at the origin with a
    funded account, enrollment active at the destination."""
    person = person or InsuredPersonFactory()
    stopped = EnrollmentFactory(
        person=person,
        region=origin.region,
        status=origin_status,
        contribution_months=96,
        in_arrears=in_arrears,
        end_date=datetime.date(2026, 6, 30) if origin_status != "active" else None,
    )
    funded(PersonalAccountFactory(enrollment=stopped), individual, employer)
    if origin_status != Enrollment.Status.ACTIVE:
        active = EnrollmentFactory(
            person=person,
            region=destination.region,
            scheme=destination_scheme,
            start_date=datetime.date(2026, 7, 1),
            contribution_months=4,
        )
        if destination_account:
            PersonalAccountFactory(enrollment=active)
    return person


def photo(name: str = "id.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def window_transfer(
    person: InsuredPerson,
    origin: Agency,
    destination: Agency,
    *,
    transfer_type: str = TransferType.EMPLOYEE,
    on: datetime.date | None = None,
    **kwargs: object,
) -> Transfer:
    clerk = staff_user("clerk", origin)
    return services.transfer_apply(
        person=person,
        origin_agency=origin,
        destination_agency=destination,
        transfer_type=transfer_type,
        contact_phone="13900000000",
        by=clerk,
        on=on,
        **kwargs,
    )


def balances(transfer: Transfer) -> Decimal:
    """Origin + destination + in transit (+ paid out to the bank): constant throughout."""
    transfer.refresh_from_db()
    accounts = PersonalAccount.objects.filter(person_id=transfer.case.person_id)
    paid = transfer.payout.amount if hasattr(transfer, "payout") else Decimal("0.00")
    return sum((a.balance for a in accounts), Decimal("0.00")) + transfer.amount_in_transit + paid
