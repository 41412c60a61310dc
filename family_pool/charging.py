"""Writes for the charging interface: charges, refunds, flags of 冒名就医, institution keys
and cards.

How a charge stays correct under concurrency:

1. The charge row is inserted first. Its (institution, settlement number) unique constraint
   makes an identical request arriving at the same time wait for this transaction; if this
   one commits, the twin's insert fails and it answers with this charge. If this one is
   refused (rolled back), the twin goes on and is judged on its own.
2. Every account that may pay (the patient's own, each holder's) is locked in primary-key
   order, then the patient's bindings, also in pk order. Accounts before bindings is the order
   `accounts.services.account_close` → `coverage_ended` → binding end takes them too.
3. Only then are balances, reservations and quotas read and the split decided; the ledger
   debits (which lock the same accounts again, already ours) cannot fail for lack of money.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import AccountsError
from accounts.idnumbers import normalize_id_number
from accounts.models import (
    Enrollment,
    FundSource,
    InsuredPerson,
    LedgerTransaction,
    PersonalAccount,
    Scheme,
    User,
)
from accounts.policy import FamilyPoolCategory, policy_for
from accounts.services import clean_amount, ledger_credit, ledger_debit
from cases.errors import CaseError
from family_pool.models import (
    Binding,
    Charge,
    ChargePart,
    FlaggedCharge,
    Institution,
    InsuranceCard,
)
from family_pool.rules import agency_for_region
from family_pool.services import reservations

ZERO = Decimal("0.00")

# Which kind of institution may charge which category; contributions are collected by either.
_CATEGORY_KIND: dict[str, str] = {
    FamilyPoolCategory.HOSPITAL_SELF_PAY: Institution.Kind.HOSPITAL,
    FamilyPoolCategory.PHARMACY: Institution.Kind.PHARMACY,
}


class ChargeRefused(CaseError):
    """A refused charge or refund. `status` is the HTTP status the API answers with."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        reasons: list[str] | None = None,
        status: int = 422,
        flagged: bool = False,
    ) -> None:
        super().__init__(message, code=code, reasons=reasons)
        self.status = status
        self.flagged = flagged


@dataclass(frozen=True)
class ChargeResult:
    charge: Charge
    replayed: bool


# --- institutions and cards ------------------------------------------------------------------


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def institution_issue_key(*, institution: Institution, key: str | None = None) -> str:
    """A new API key for the institution; the old one stops working at once. The key is
    returned to be shown once: only its hash is kept. `key` fixes it (demo data only)."""
    key = key or f"fp_{secrets.token_urlsafe(32)}"
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    institution.api_key_hash = hash_key(key)
    institution.api_key_prefix = key[:10]
    institution.api_key_issued_at = timezone.now()
    institution.save(update_fields=["api_key_hash", "api_key_prefix", "api_key_issued_at"])
    return key


def institution_for_key(key: str) -> Institution | None:
    if not key or len(key) > 200:
        return None
    return (
        Institution.objects.select_related("region")
        .filter(api_key_hash=hash_key(key), active=True)
        .first()
    )


@transaction.atomic
def card_issue(*, person: InsuredPerson, number: str = "") -> InsuranceCard:
    number = number.strip().upper() or f"{person.id_number[:6]}{secrets.randbelow(10**10):010d}"
    if InsuranceCard.objects.filter(number=number).exists():
        raise CaseError(_("This card number is already in use."), code="card_taken")
    return InsuranceCard.objects.create(person=person, number=number)


@transaction.atomic
def card_deactivate(*, card: InsuranceCard) -> InsuranceCard:
    card = InsuranceCard.objects.select_for_update().get(pk=card.pk)
    if card.active:
        card.active = False
        card.save(update_fields=["active"])
    return card


# --- charges ---------------------------------------------------------------------------------


def charge_create(
    *,
    institution: Institution,
    id_number: str,
    card_number: str,
    amount: Decimal | str,
    category: str,
    settlement_number: str,
) -> ChargeResult:
    """Pay a patient's cost: their own employee account first, then their bindings in the
    order they chose. All or nothing; a repeated settlement number charges nothing more."""
    value = _clean_amount(amount)
    settlement_number = settlement_number.strip()
    if not settlement_number:
        raise ChargeRefused(_("The settlement number is missing."), code="settlement_missing")
    request = {"id_number": normalize_id_number(id_number), "amount": value, "category": category}
    done = Charge.objects.filter(institution=institution, settlement_number=settlement_number)
    if (first := done.select_related("patient").first()) is not None:
        return _replay(first, request)
    patient, card = _patient_and_card(institution, request, card_number, settlement_number)
    _check_category(institution, category)
    return _charge(institution, patient, card, value, category, settlement_number, request)


def _clean_amount(amount: Decimal | str) -> Decimal:
    try:
        return clean_amount(amount)
    except AccountsError as exc:
        raise ChargeRefused(exc.message, code=exc.code) from None


def _replay(charge: Charge, request: dict[str, object]) -> ChargeResult:
    same = (
        charge.patient.id_number == request["id_number"]
        and charge.amount == request["amount"]
        and charge.category == request["category"]
    )
    if not same:
        raise ChargeRefused(
            _("This settlement number was already used for a different charge."),
            code="settlement_reused",
            status=409,
        )
    return ChargeResult(charge, replayed=True)


def _patient_and_card(
    institution: Institution, request: dict[str, object], card_number: str, settlement: str
) -> tuple[InsuredPerson, InsuranceCard]:
    card = (
        InsuranceCard.objects.select_related("person")
        .filter(number=card_number.strip().upper())
        .first()
    )
    if card is None:
        raise ChargeRefused(_("No medical insurance card has this number."), code="unknown_card")
    # The card's owner is the patient in every honest charge: one query instead of two. The
    # patient is looked up by ID number only when they differ, for the flag.
    patient: InsuredPerson | None = card.person
    if card.person.id_number != request["id_number"]:
        patient = InsuredPerson.objects.filter(id_number=request["id_number"]).first()
    if patient is None or card.person_id != patient.pk:
        # 冒名就医: someone shows a card that is not theirs. Refused, and kept for staff even
        # though the charge itself is rolled back (the flag is its own transaction).
        _flag(institution, request, patient, card, settlement)
        raise ChargeRefused(
            _("The card does not belong to the patient; the charge is refused and reported."),
            code="card_not_patients",
            flagged=True,
        )
    if not card.active:
        raise ChargeRefused(_("This card is no longer valid."), code="card_inactive")
    return patient, card


def _flag(
    institution: Institution,
    request: dict[str, object],
    patient: InsuredPerson | None,
    card: InsuranceCard,
    settlement: str,
) -> FlaggedCharge:
    with transaction.atomic():
        flag, created = FlaggedCharge.objects.get_or_create(
            institution=institution,
            settlement_number=settlement,
            defaults={
                "reason": FlaggedCharge.Reason.CARD_NOT_PATIENTS,
                "patient_id_number": str(request["id_number"])[:18],
                "patient": patient,
                "card": card,
                "category": request["category"],
                "amount": request["amount"],
            },
        )
        if created:
            _notify_flag(flag)
    return flag


def _notify_flag(flag: FlaggedCharge) -> None:
    from cases.services import notify

    agency = agency_for_region(flag.institution.region)
    if agency is None:
        return
    subject = _("Card used by someone else at %(institution)s") % {
        "institution": flag.institution.name
    }
    body = _("Settlement %(number)s was refused and needs a look.") % {
        "number": flag.settlement_number
    }
    for user in User.objects.filter(agency=agency, groups__name="supervisor", is_active=True):
        notify(recipient=user, message=(subject, body), channels=("inbox",))


def _check_category(institution: Institution, category: str) -> None:
    reasons = []
    if category not in FamilyPoolCategory.values:
        reasons.append(_("Unknown payment category."))
    elif category not in policy_for(institution.region).family_pool_categories:
        reasons.append(
            _("The family pool does not pay for “%(category)s” in %(region)s.")
            % {"category": FamilyPoolCategory(category).label, "region": institution.region.name}
        )
    kind = _CATEGORY_KIND.get(category)
    if kind is not None and kind != institution.kind:
        reasons.append(
            _("A %(kind)s cannot charge “%(category)s”.")
            % {
                "kind": institution.get_kind_display(),
                "category": FamilyPoolCategory(category).label,
            }
        )
    if reasons:
        raise ChargeRefused(reasons[0], code="category_not_allowed", reasons=reasons)


def _own_account(patient: InsuredPerson) -> PersonalAccount | None:
    return PersonalAccount.objects.filter(
        person=patient,
        enrollment__status=Enrollment.Status.ACTIVE,
        enrollment__scheme=Scheme.EMPLOYEE,
    ).first()


@transaction.atomic
def _charge(
    institution: Institution,
    patient: InsuredPerson,
    card: InsuranceCard,
    amount: Decimal,
    category: str,
    settlement_number: str,
    request: dict[str, object],
) -> ChargeResult:
    try:
        with transaction.atomic():
            charge = Charge.objects.create(
                institution=institution,
                settlement_number=settlement_number,
                patient=patient,
                card=card,
                category=category,
                amount=amount,
            )
    except IntegrityError:
        # The twin request committed first (we waited for it on the unique index).
        first = Charge.objects.select_related("patient").get(
            institution=institution, settlement_number=settlement_number
        )
        return _replay(first, request)
    payers = _lock_payers(patient)
    plan = _split(payers, amount)
    for position, (account, binding, share) in enumerate(plan):
        _pay(charge, account, binding, share, position)
    return ChargeResult(charge, replayed=False)


@dataclass
class _Payers:
    own: PersonalAccount | None
    bindings: list[Binding]
    accounts: dict[int, PersonalAccount]


def _lock_payers(patient: InsuredPerson) -> _Payers:
    own = _own_account(patient)
    candidates = list(
        Binding.objects.filter(relative=patient, state=Binding.State.ACTIVE).values_list(
            "pk", "holder_account_id"
        )
    )
    ids = sorted({pk for _b, pk in candidates} | ({own.pk} if own else set()))
    accounts = {
        a.pk: a
        for a in PersonalAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    bindings = list(
        Binding.objects.select_for_update()
        .filter(pk__in=[pk for pk, _a in candidates], state=Binding.State.ACTIVE)
        .order_by("pk")
    )
    bindings.sort(key=lambda b: (b.priority, b.pk))
    if own is not None:
        own = accounts[own.pk]
        if own.status != PersonalAccount.Status.NORMAL:
            raise ChargeRefused(
                _("The patient's personal account is %(status)s; it refuses every charge.")
                % {"status": own.get_status_display()},
                code=f"account_{own.status}",
            )
    return _Payers(own=own, bindings=bindings, accounts=accounts)


def _split(
    payers: _Payers, amount: Decimal
) -> list[tuple[PersonalAccount, Binding | None, Decimal]]:
    """Who pays how much: the own account up to what its quotas leave, then each binding up
    to its remaining quota, or without one up to what the holder's other quotas leave."""
    left = amount
    plan: list[tuple[PersonalAccount, Binding | None, Decimal]] = []
    if payers.own is not None:
        free = payers.own.balance - reservations(payers.own.pk)
        share = min(left, max(free, ZERO))
        if share > 0:
            plan.append((payers.own, None, share))
            left -= share
    for binding in payers.bindings:
        account = payers.accounts[binding.holder_account_id]
        if left <= 0 or account.status != PersonalAccount.Status.NORMAL:
            continue
        if binding.quota is not None:
            free = min(binding.quota - binding.spent, account.balance)
        else:
            free = account.balance - reservations(account.pk)
        share = min(left, max(free, ZERO))
        if share > 0:
            plan.append((account, binding, share))
            left -= share
    if left > 0:
        raise _insufficient(payers, amount - left, amount)
    return plan


def _insufficient(payers: _Payers, available: Decimal, amount: Decimal) -> ChargeRefused:
    if payers.own is None and not payers.bindings:
        return ChargeRefused(
            _("The patient has no personal account and no family pool binding to pay from."),
            code="no_account",
        )
    return ChargeRefused(
        _(
            "Not enough money: %(available)s yuan available from the patient's account and "
            "family pool, %(amount)s yuan asked."
        )
        % {"available": available, "amount": amount},
        code="insufficient_balance",
    )


def _pay(
    charge: Charge,
    account: PersonalAccount,
    binding: Binding | None,
    share: Decimal,
    position: int,
) -> None:
    memo = f"{charge.institution.code} {charge.settlement_number}"
    try:
        txn = ledger_debit(
            account=account,
            amount=share,
            kind=LedgerTransaction.Kind.CHARGE,
            memo=memo,
            idempotency_key=f"fp-charge:{charge.pk}:{account.pk}",
        )
    except AccountsError as exc:  # cannot happen under our locks; refused, never a 500
        raise ChargeRefused(exc.message, code=exc.code) from None
    ChargePart.objects.create(
        charge=charge,
        account=account,
        binding=binding,
        amount=share,
        position=position,
        ledger_transaction=txn,
    )
    if binding is not None:
        binding.spent += share
        binding.save(update_fields=["spent"])


# --- refunds ---------------------------------------------------------------------------------


@transaction.atomic
def charge_refund(
    *, institution: Institution, settlement_number: str, refund_number: str
) -> ChargeResult:
    """退费: reverse the whole charge, crediting back every account that paid (fund source
    refund) and giving the quota back. The same refund number again changes nothing."""
    refund_number = refund_number.strip()
    if not refund_number:
        raise ChargeRefused(_("The refund number is missing."), code="refund_missing")
    charge = (
        Charge.objects.select_for_update(of=("self",))
        .select_related("institution", "patient")
        .filter(institution=institution, settlement_number=settlement_number.strip())
        .first()
    )
    if charge is None:
        raise ChargeRefused(
            _("No charge has this settlement number."), code="unknown_charge", status=404
        )
    if charge.status == Charge.Status.REFUNDED:
        if charge.refund_number == refund_number:
            return ChargeResult(charge, replayed=True)
        raise ChargeRefused(
            _("This charge was already refunded under refund number %(number)s.")
            % {"number": charge.refund_number},
            code="already_refunded",
            status=409,
        )
    if Charge.objects.filter(institution=institution, refund_number=refund_number).exists():
        raise ChargeRefused(
            _("This refund number was already used for another charge."),
            code="refund_number_reused",
            status=409,
        )
    _credit_back(charge)
    charge.status = Charge.Status.REFUNDED
    charge.refund_number = refund_number
    charge.refunded_at = timezone.now()
    try:
        with transaction.atomic():
            charge.save(update_fields=["status", "refund_number", "refunded_at"])
    except IntegrityError:
        raise ChargeRefused(
            _("This refund number was already used for another charge."),
            code="refund_number_reused",
            status=409,
        ) from None
    return ChargeResult(charge, replayed=False)


def _credit_back(charge: Charge) -> None:
    parts = list(charge.parts.order_by("position"))
    account_ids = sorted({p.account_id for p in parts})
    list(PersonalAccount.objects.select_for_update().filter(pk__in=account_ids).order_by("pk"))
    binding_ids = sorted({p.binding_id for p in parts if p.binding_id is not None})
    bindings = {
        b.pk: b
        for b in Binding.objects.select_for_update().filter(pk__in=binding_ids).order_by("pk")
    }
    for part in parts:
        try:
            part.refund_transaction = ledger_credit(
                account=part.account,
                amount=part.amount,
                fund_source=FundSource.REFUND,
                kind=LedgerTransaction.Kind.REFUND,
                memo=f"{charge.institution.code} {charge.settlement_number}",
                idempotency_key=f"fp-refund:{part.pk}",
            )
        except AccountsError as exc:
            raise ChargeRefused(
                _("The refund cannot be credited: %(reason)s Please ask the agency.")
                % {"reason": exc.message},
                code="refund_" + exc.code,
                status=409,
            ) from None
        part.save(update_fields=["refund_transaction"])
        if part.binding_id is not None:
            binding = bindings[part.binding_id]
            binding.spent -= part.amount
            binding.save(update_fields=["spent"])


# --- flags -----------------------------------------------------------------------------------


@transaction.atomic
def flag_review(*, flag: FlaggedCharge, by: User, note: str) -> FlaggedCharge:
    if not by.has_perm("family_pool.review_flaggedcharge"):
        raise CaseError(_("You may not review flagged charges."), code="forbidden")
    if not note.strip():
        raise CaseError(_("Write what was found or done."), code="note_missing")
    flag = FlaggedCharge.objects.select_for_update().get(pk=flag.pk)
    if flag.reviewed_at is not None:
        raise CaseError(_("This flag has already been reviewed."), code="reviewed")
    flag.reviewed_at = timezone.now()
    flag.reviewed_by = by
    flag.review_note = note.strip()
    flag.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    return flag
