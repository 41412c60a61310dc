"""Who may withdraw, on which ground, to whom: every reason a withdrawal is refused, gathered
at once (一次性告知) for the submission and again, with the clerk's findings, for the review."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.choices import WithdrawalGround
from accounts.freezes.selectors import frozen_because
from accounts.idnumbers import normalize_id_number, parse_id_number
from accounts.models import Enrollment, PersonalAccount
from accounts.policy import ResolvedPolicy
from cases.models import DocumentKind
from transfers.models import Transfer
from withdrawals import rules
from withdrawals.models import Withdrawal
from withdrawals.selectors import account_policy, withdrawal_computation

if TYPE_CHECKING:
    from accounts.models import Agency, User

State = Withdrawal.State


def ground_label(ground: str) -> str:
    return str(WithdrawalGround(ground).label) if ground in WithdrawalGround.values else ground


def document_label(kind: str) -> str:
    return str(DocumentKind(kind).label) if kind in DocumentKind.values else kind


@dataclass(frozen=True)
class Application:
    """What the applicant (or the clerk at the window) states. For a death the heir is the
    applicant and the payee; the account is the deceased's."""

    ground: str
    payee_name: str
    bank_name: str
    bank_account: str
    last_local_treatment_on: datetime.date | None = None
    fee_exempt_group: str = ""
    heir_name: str = ""
    heir_id_number: str = ""
    heir_phone: str = ""


def expected_payee(*, ground: str, person_name: str, heir_name: str) -> str:
    return heir_name.strip() if ground == WithdrawalGround.DEATH else person_name.strip()


def eligibility_reasons(
    *,
    account: PersonalAccount,
    ground: str,
    policy: ResolvedPolicy,
    last_local_treatment_on: datetime.date | None,
    fee_exempt_group: str,
    heir_name: str,
    heir_id_number: str,
    payee_name: str,
    bank_account: str,
    on: datetime.date,
) -> list[str]:
    """Every reason the ground, the account and the payee refuse the withdrawal."""
    if ground not in WithdrawalGround.values:
        return [_("Choose the ground of the withdrawal.")]
    region = account.enrollment.region
    reasons = account_ground_reasons(account=account, ground=ground, policy=policy, on=on)
    reasons += _ground_reasons(account, ground, policy, last_local_treatment_on, on)
    if ground == WithdrawalGround.DEATH:
        reasons += _heir_reasons(account, heir_name, heir_id_number)
    if fee_exempt_group and fee_exempt_group not in policy.withdrawal_fee_exempt_groups:
        reasons.append(
            _("“%(group)s” is not a group exempt from the fee in %(region)s.")
            % {"group": fee_exempt_group, "region": region.name}
        )
    reasons += payee_reasons(
        ground=ground,
        person_name=account.person.name,
        heir_name=heir_name,
        payee_name=payee_name,
        bank_account=bank_account,
    )
    return reasons


def account_ground_reasons(
    *, account: PersonalAccount, ground: str, policy: ResolvedPolicy, on: datetime.date
) -> list[str]:
    """What the region, the account and its enrollment say of this ground, before anything
    is typed: the part of the check the applicant hears as soon as they choose the ground."""
    reasons: list[str] = []
    if ground not in policy.withdrawal_grounds:
        reasons.append(
            _("%(region)s does not allow a withdrawal on the ground “%(ground)s”.")
            % {"region": account.enrollment.region.name, "ground": ground_label(ground)}
        )
    if account.status == PersonalAccount.Status.CLOSED:
        reasons.append(_("The personal account is already closed."))
    elif account.status == PersonalAccount.Status.FROZEN:
        reasons.append(frozen_because(account.pk))
    if ground in rules.STOPPED_ENROLLMENT_GROUNDS:
        reasons += _stopped_enrollment_reasons(account.enrollment, policy, on)
    return reasons


def _ground_reasons(
    account: PersonalAccount,
    ground: str,
    policy: ResolvedPolicy,
    last_local_treatment_on: datetime.date | None,
    on: datetime.date,
) -> list[str]:
    # The stopped enrollment is `account_ground_reasons`'s.
    if ground == WithdrawalGround.LIVING_ELSEWHERE:
        if last_local_treatment_on is None:
            return [_("Give the date of the last treatment in the enrollment region.")]
        allowed_from = rules.add_months(last_local_treatment_on, rules.NO_LOCAL_TREATMENT_MONTHS)
        if allowed_from > on:
            return [
                _(
                    "The last treatment in the enrollment region was on %(date)s; a withdrawal "
                    "needs %(months)d months without treatment there, so from %(from)s."
                )
                % {
                    "date": last_local_treatment_on.isoformat(),
                    "months": rules.NO_LOCAL_TREATMENT_MONTHS,
                    "from": allowed_from.isoformat(),
                }
            ]
    return []


def _stopped_enrollment_reasons(
    enrollment: Enrollment, policy: ResolvedPolicy, on: datetime.date
) -> list[str]:
    if enrollment.status == Enrollment.Status.ACTIVE:
        return [
            _(
                "The enrollment is still active: the employer must first stop it "
                "before the balance can be withdrawn on this ground."
            )
        ]
    months = policy.withdrawal_waiting_months
    if months == 0:
        return []
    if enrollment.end_date is None:
        return [
            _(
                "The date the enrollment stopped is not on record, so the waiting period of "
                "%(months)d months cannot be checked; ask your agency to record it."
            )
            % {"months": months}
        ]
    allowed_from = rules.add_months(enrollment.end_date, months)
    if allowed_from > on:
        return [
            _(
                "The enrollment stopped on %(date)s; %(months)d months must pass before a "
                "withdrawal, so from %(from)s."
            )
            % {"date": enrollment.end_date.isoformat(), "months": months, "from": allowed_from}
        ]
    return []


def _heir_reasons(account: PersonalAccount, heir_name: str, heir_id_number: str) -> list[str]:
    if not heir_name.strip() or not heir_id_number.strip():
        return [_("Give the heir's name and ID number.")]
    try:
        number = parse_id_number(heir_id_number).number
    except ValidationError as exc:
        return [_("The heir's ID number: %(error)s") % {"error": " ".join(exc.messages)}]
    if number == account.person.id_number:
        return [_("The heir must be a different person from the deceased insured person.")]
    return []


def payee_reasons(
    *, ground: str, person_name: str, heir_name: str, payee_name: str, bank_account: str
) -> list[str]:
    """Payout only to a bank account in the payee's own name, never to an intermediary."""
    reasons = []
    expected = expected_payee(ground=ground, person_name=person_name, heir_name=heir_name)
    if payee_name.strip() != expected:
        who = _("the heir") if ground == WithdrawalGround.DEATH else _("the insured person")
        reasons.append(
            _(
                "The bank account must be in the name of %(who)s (%(name)s); payment to anyone "
                "else is not possible."
            )
            % {"who": who, "name": expected or "—"}
        )
    number = rules.clean_card_number(bank_account)
    if not (number.isdigit() and 12 <= len(number) <= 19):
        reasons.append(_("A bank card number has 12 to 19 digits."))
    return reasons


def applicant_reasons(
    *, account: PersonalAccount, application: Application, applicant: User | None
) -> list[str]:
    if applicant is None or applicant.person_id is None:
        return []
    person = applicant.person
    assert person is not None  # noqa: S101 - person_id is set
    if application.ground == WithdrawalGround.DEATH:
        if normalize_id_number(application.heir_id_number) != person.id_number:
            return [_("Online, only the heir can apply for a deceased person's balance.")]
        return []
    if applicant.person_id != account.person_id:
        return [_("You can only apply for your own personal account.")]
    return []


def filer_reasons(*, by: User | None, agency: Agency | None) -> list[str]:
    """Staff take in an application only as a clerk of the agency that runs the account's
    fund. An applicant's own filing is judged by `applicant_reasons`, a system one by nothing."""
    if by is None or by.person_id is not None:
        return []
    if not by.has_perm("cases.process_case"):
        return [_("Only a clerk may take in an application at the window.")]
    if agency is None or by.agency_id != agency.pk:
        return [_("This personal account belongs to another agency's coordination area.")]
    return []


def open_withdrawal_reasons(account: PersonalAccount, *, you: bool = False) -> list[str]:
    live = Withdrawal.objects.filter(account=account).exclude(
        state__in=[State.REFUSED, State.CANCELLED]
    )
    if live.exists():
        if you:
            return [_("You already have a withdrawal of this account in progress or paid.")]
        return [_("A withdrawal of this account is already in progress or paid.")]
    return []


def open_transfer_reasons(account: PersonalAccount, *, you: bool = False) -> list[str]:
    """The balance cannot be paid out while a transfer may still move it elsewhere."""
    if Transfer.objects.filter(
        case__person=account.person_id, case__closed_at__isnull=True
    ).exists():
        if you:
            return [
                _(
                    "You have a transfer of your insurance in progress: the balance can be "
                    "withdrawn once the transfer is completed or cancelled."
                )
            ]
        return [
            _(
                "This person has a transfer in progress; the balance cannot be withdrawn until "
                "the transfer is completed or cancelled."
            )
        ]
    return []


def open_case_reasons(account: PersonalAccount) -> list[str]:
    """What stops any withdrawal of the applicant's own account now, said before the form."""
    return [*open_withdrawal_reasons(account, you=True), *open_transfer_reasons(account, you=True)]


def ground_precheck_reasons(
    *, account: PersonalAccount, ground: str, policy: ResolvedPolicy, on: datetime.date
) -> list[str]:
    """The applicant's own account on this ground, checked as the submission will check it
    (`submission_reasons`), as soon as the ground is chosen: before any document is chosen."""
    return [
        *open_case_reasons(account),
        *account_ground_reasons(account=account, ground=ground, policy=policy, on=on),
    ]


def amount_reasons(computation: rules.Computation) -> list[str]:
    if computation.nothing_to_pay:
        return [
            _(
                "Nothing is left to pay out: the individually funded part (%(individual)s yuan) "
                "does not cover the outstanding costs and the fee."
            )
            % {"individual": computation.individual_part}
        ]
    return []


def missing_document_reasons(ground: str, present: Iterable[str]) -> list[str]:
    return [
        _("Missing document: %(kind)s.") % {"kind": document_label(kind)}
        for kind in rules.missing_documents(ground, present)
    ]


def heir_applies_online(application: Application, applicant: User | None) -> bool:
    return (
        application.ground == WithdrawalGround.DEATH
        and applicant is not None
        and applicant.person_id is not None
    )


def heir_input_reasons(application: Application, documents: Iterable[str]) -> list[str]:
    """What an heir typed and uploaded, judged without the deceased's account, so that the
    answer is the same whether or not the person they named exists."""
    return [
        *payee_reasons(
            ground=WithdrawalGround.DEATH,
            person_name="",
            heir_name=application.heir_name,
            payee_name=application.payee_name,
            bank_account=application.bank_account,
        ),
        *missing_document_reasons(WithdrawalGround.DEATH, documents),
    ]


def submission_reasons(
    *,
    account: PersonalAccount,
    application: Application,
    documents: Iterable[str],
    applicant: User | None,
    policy: ResolvedPolicy,
    computation: rules.Computation,
    on: datetime.date,
) -> list[str]:
    """Every reason a new application is refused. An heir applying online is refused only for
    what they typed and uploaded: whatever depends on the deceased's account (its state, its
    money, its other cases) would tell a stranger about it, so it waits for the review, after
    staff have verified the death and the heir (`review_reasons`)."""
    if heir_applies_online(application, applicant):
        return [
            *applicant_reasons(account=account, application=application, applicant=applicant),
            *_heir_reasons(account, application.heir_name, application.heir_id_number),
            *heir_input_reasons(application, documents),
        ]
    return [
        *open_withdrawal_reasons(account),
        *open_transfer_reasons(account),
        *applicant_reasons(account=account, application=application, applicant=applicant),
        *eligibility_reasons(
            account=account,
            ground=application.ground,
            policy=policy,
            last_local_treatment_on=application.last_local_treatment_on,
            fee_exempt_group=application.fee_exempt_group,
            heir_name=application.heir_name,
            heir_id_number=application.heir_id_number,
            payee_name=application.payee_name,
            bank_account=application.bank_account,
            on=on,
        ),
        *missing_document_reasons(application.ground, documents),
        *amount_reasons(computation),
    ]


def review_reasons(withdrawal: Withdrawal, on: datetime.date) -> list[str]:
    """Everything the first review re-checks, with the clerk's corrections applied."""
    account = withdrawal.account
    policy = account_policy(account)
    present = withdrawal.case.documents.values_list("kind", flat=True)

    return [
        # A case filed before the submission checked for an open transfer (an heir's, or one
        # from before that check) must not pass either.
        *open_transfer_reasons(account),
        *eligibility_reasons(
            account=account,
            ground=withdrawal.ground,
            policy=policy,
            last_local_treatment_on=withdrawal.last_local_treatment_on,
            fee_exempt_group=withdrawal.fee_exempt_group,
            heir_name=withdrawal.heir_name,
            heir_id_number=withdrawal.heir_id_number,
            payee_name=withdrawal.payee_name,
            bank_account=withdrawal.bank_account,
            on=on,
        ),
        *missing_document_reasons(withdrawal.ground, present),
        *amount_reasons(withdrawal_computation(withdrawal)),
    ]


def card_number_warning(withdrawal: Withdrawal | str) -> str:
    """The Luhn check is a warning shown to staff and applicant, never a refusal."""
    number = withdrawal if isinstance(withdrawal, str) else withdrawal.bank_account
    if rules.luhn_valid(rules.clean_card_number(number)):
        return ""
    return _("The bank card number fails the usual check digit; please check it against the card.")
