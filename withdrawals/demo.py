"""Demo withdrawal and emergency-refund cases in Dongguan, one in each interesting state.

Idempotent: the people are chosen by a fixed rule (Dongguan employee-scheme people without
a login, newest first, so as not to take those the other demos start from) and a person who
already has a case of the kind is left alone. A person another demo has moved on (account
closed or transferred) is skipped with a line saying so.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from accounts.choices import WithdrawalGround
from accounts.models import Agency, InsuredPerson, Scheme, User
from cases.errors import CaseError
from cases.models import Case, CaseKind, Channel, DocumentKind
from withdrawals import eligibility, payout, refunds, rules, services
from withdrawals.models import Withdrawal
from withdrawals.selectors import open_account_of

AGENCY_CODE = "441900-01"
G = WithdrawalGround
S = Withdrawal.State
CANDIDATES = 40

# (ground, the state the demo case is brought to)
PLANS: list[tuple[str, str]] = [
    (G.SERIOUS_ILLNESS, S.SUBMITTED),
    (G.RELOCATED_RETIREE, S.FIRST_REVIEWED),
    (G.DESTINATION_REFUSES, S.APPROVED),
    (G.SERIOUS_ILLNESS, S.CLOSED),
    (G.LIVING_ELSEWHERE, S.WAITING_DOCUMENTS),
    (G.RELOCATED_RETIREE, S.REFUSED),
]


def _scan(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (235, 235, 225)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _steps(clerk: User, reviewer: User) -> dict[str, list[Callable[[Withdrawal], object]]]:
    def first(w: Withdrawal) -> object:
        return services.withdrawal_first_review(withdrawal=w, by=clerk)

    def approve(w: Withdrawal) -> object:
        return services.withdrawal_approve(withdrawal=w, by=reviewer)

    return {
        S.SUBMITTED: [],
        S.FIRST_REVIEWED: [first],
        S.APPROVED: [first, approve],
        S.CLOSED: [first, approve, lambda w: payout.withdrawal_pay(withdrawal=w, by=clerk)],
        S.WAITING_DOCUMENTS: [
            lambda w: services.withdrawal_request_documents(
                withdrawal=w,
                by=clerk,
                kinds=[DocumentKind.RESIDENCE_FILING],
                note="异地备案表缺少备案机构盖章",
            )
        ],
        S.REFUSED: [
            lambda w: services.withdrawal_refuse(
                withdrawal=w,
                by=clerk,
                reasons=["未提供跨省异地安置备案", "退休证明与身份证姓名不一致"],
            )
        ],
    }


def _withdrawal(
    person: InsuredPerson, ground: str, target: str, clerk: User, reviewer: User
) -> str | None:
    """The line to print, or None when this person cannot have the case (try the next)."""
    if Case.objects.filter(person=person, kind=CaseKind.WITHDRAWAL).exists():
        return f"  {person.name}: withdrawal case already there"
    account = open_account_of(person)
    if account is None:
        return None
    last_local = rules.add_months(timezone.localdate(), -9)
    try:
        with transaction.atomic():
            withdrawal = services.withdrawal_submit(
                account=account,
                application=eligibility.Application(
                    ground=ground,
                    payee_name=person.name,
                    bank_name="中国工商银行东莞分行",
                    bank_account="6222020200112233446",
                    last_local_treatment_on=last_local,
                ),
                documents={k: _scan(f"{k}.png") for k in rules.required_documents(ground)},
                by=clerk,
                channel=Channel.WINDOW,
            )
            for step in _steps(clerk, reviewer)[target]:
                step(Withdrawal.objects.get(pk=withdrawal.pk))
    except CaseError:
        return None
    return f"  {withdrawal.case.reference} {person.name}: {G(ground).label} → {S(target).label}"


def _refund(person: InsuredPerson, clerk: User, *, credit: bool, applicant: User | None) -> str:
    if Case.objects.filter(person=person, kind=CaseKind.EMERGENCY_REFUND).exists():
        return f"  {person.name}: emergency refund already there"
    account = open_account_of(person)
    if account is None:
        return f"  {person.name}: skipped, no open personal account"
    try:
        with transaction.atomic():
            refund = refunds.emergency_refund_submit(
                account=account,
                amount="1268.40",
                hospital="东莞市人民医院急诊科",
                treated_on=timezone.localdate(),
                receipts=[_scan("receipt.png")],
                by=applicant or clerk,
                applicant=applicant,
                channel=Channel.ONLINE if applicant else Channel.WINDOW,
            )
            if credit:
                refunds.emergency_refund_approve(refund=refund, by=clerk)
                refund = refunds.emergency_refund_credit(refund=refund, by=clerk)
    except CaseError as exc:
        return f"  {person.name}: skipped ({'; '.join(exc.reasons)})"
    return f"  {refund.case.reference} {person.name}: {refund.get_state_display()}"


def load_demo() -> list[str]:
    agency = Agency.objects.filter(code=AGENCY_CODE).first()
    clerk = User.objects.filter(username="dongguan_clerk").first()
    reviewer = User.objects.filter(username="dongguan_reviewer").first()
    if agency is None or clerk is None or reviewer is None:
        return []
    people = iter(
        InsuredPerson.objects.filter(
            enrollments__region_id=agency.region_id,
            enrollments__scheme=Scheme.EMPLOYEE,
            user__isnull=True,
        )
        .distinct()
        .order_by("-id")[:CANDIDATES]
    )
    lines = ["", "Withdrawal demo cases (东莞, clerk dongguan_clerk, reviewer dongguan_reviewer):"]
    for ground, target in PLANS:
        # A person another demo has emptied or moved cannot have this case: take the next.
        line = next(
            (ln for p in people if (ln := _withdrawal(p, ground, target, clerk, reviewer))), None
        )
        if line is None:
            lines.append("  not enough demo people left for the withdrawal cases")
            break
        lines.append(line)
    refund_person = next(people, None)
    if refund_person is not None:
        lines.append(_refund(refund_person, clerk, credit=True, applicant=None))
    first_applicant = (
        User.objects.filter(person__enrollments__region_id=agency.region_id)
        .order_by("person_id")
        .first()
    )
    if first_applicant is not None and first_applicant.person is not None:
        lines.append(
            _refund(first_applicant.person, clerk, credit=False, applicant=first_applicant)
        )
    return lines
