"""Helpers for withdrawal tests: an agency with its region policy, accounts funded from
both sources, tiny real documents, and applications that pass unless a test says otherwise."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.choices import WithdrawalGround
from accounts.clearing import clearing_of
from accounts.models import (
    Agency,
    ClearingAccount,
    Enrollment,
    FundSource,
    LedgerTransaction,
    PersonalAccount,
    RegionPolicy,
)
from accounts.services import ledger_credit, ledger_debit
from cases.models import Channel
from tests.accounts.factories import (
    AgencyFactory,
    InsuredPersonFactory,
    PersonalAccountFactory,
    UserFactory,
    guangdong_regions,
    staff_user,
    valid_id_number,
)
from withdrawals import rules
from withdrawals.eligibility import Application
from withdrawals.services import withdrawal_submit

GOOD_CARD = "6222020200112233446"  # passes the Luhn check
assert rules.luhn_valid(GOOD_CARD)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name: str = "scan.png") -> SimpleUploadedFile:
    if name.endswith(".pdf"):
        return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def documents_for(ground: str, *, without: tuple[str, ...] = ()) -> dict[str, SimpleUploadedFile]:
    return {
        kind: upload(f"{kind}.png")
        for kind in rules.required_documents(ground)
        if kind not in without
    }


def dongguan_agency(**policy: object) -> Agency:
    regions = guangdong_regions()
    agency = AgencyFactory(region=regions["dongguan"])
    if policy:
        RegionPolicy.objects.update_or_create(region=regions["dongguan"], defaults=policy)
    return agency


def credit(account: PersonalAccount, amount: str, source: str = FundSource.INDIVIDUAL) -> None:
    ledger_credit(
        account=account,
        counter=clearing_of(account, ClearingAccount.Kind.CONTRIBUTIONS),
        amount=Decimal(amount),
        fund_source=source,
        kind=LedgerTransaction.Kind.CONTRIBUTION,
    )


def debit(account: PersonalAccount, amount: str) -> None:
    ledger_debit(
        account=account,
        counter=clearing_of(account, ClearingAccount.Kind.SETTLEMENT),
        amount=Decimal(amount),
        kind=LedgerTransaction.Kind.CHARGE,
    )


def account_in(
    agency: Agency,
    *,
    individual: str = "1000.00",
    employer: str = "400.00",
    status: str = Enrollment.Status.ACTIVE,
    end_date: datetime.date | None = None,
    person=None,
) -> PersonalAccount:
    kwargs = {
        "enrollment__region": agency.region,
        "enrollment__status": status,
        "enrollment__end_date": end_date,
    }
    if person is not None:
        kwargs["enrollment__person"] = person
    account = PersonalAccountFactory(**kwargs)
    if Decimal(individual) > 0:
        credit(account, individual, FundSource.INDIVIDUAL)
    if Decimal(employer) > 0:
        credit(account, employer, FundSource.EMPLOYER)
    account.refresh_from_db()
    return account


def application_for(account: PersonalAccount, ground: str, **overrides: object) -> Application:
    values: dict[str, object] = {
        "ground": ground,
        "payee_name": account.person.name,
        "bank_name": "中国工商银行",
        "bank_account": GOOD_CARD,
    }
    if ground == WithdrawalGround.LIVING_ELSEWHERE:
        values["last_local_treatment_on"] = timezone.localdate() - datetime.timedelta(days=400)
    if ground == WithdrawalGround.DEATH:
        heir = InsuredPersonFactory(id_number=valid_id_number("441900"))
        values.update(
            heir_name=heir.name,
            heir_id_number=heir.id_number,
            heir_phone=heir.phone,
            payee_name=heir.name,
        )
    values.update(overrides)
    return Application(**values)  # type: ignore[arg-type]


def applicant_of(account: PersonalAccount):
    return UserFactory(username=f"applicant-{account.person_id}", person=account.person)


def submit(account: PersonalAccount, ground: str = WithdrawalGround.SERIOUS_ILLNESS, **kw):
    """A window application by a clerk of the account's agency."""
    clerk = kw.pop("by", None)
    application = kw.pop("application", None) or application_for(account, ground, **kw)
    return withdrawal_submit(
        account=account,
        application=application,
        documents=documents_for(application.ground),
        by=clerk,
        channel=Channel.WINDOW,
    )


def clerk_and_reviewer(agency: Agency):
    return (
        staff_user("clerk", agency, username=f"{agency.code}-clerk"),
        staff_user("reviewer", agency, username=f"{agency.code}-reviewer"),
    )
