"""`charge_create`, the entry of a charge: the request cleaned, the facts read before the
transaction (`facts`), what the patient's own account cannot pay refused before the locks
(`payers`), and the rest charged under the locks (`locked`, which tells how a charge stays
correct under concurrency)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.crypto import blind_index
from accounts.errors import AccountsError
from accounts.idnumbers import normalize_id_number
from accounts.models import Enrollment, InsuredPerson, PersonalAccount, Scheme
from accounts.money import clean_amount
from family_pool.charging.facts import ChargeLookup, check_category, facts_and_policy
from family_pool.charging.flags import patient_and_card
from family_pool.charging.locked import charge_locked
from family_pool.charging.payers import refuse_what_the_own_account_cannot_pay
from family_pool.charging.results import ChargeRefused, ChargeResult, replay
from family_pool.models import Charge, Institution


def charge_create(
    *,
    institution: Institution,
    id_number: str,
    card_number: str,
    amount: Decimal | str,
    category: str,
    settlement_number: str,
    lookup: ChargeLookup | None = None,
) -> ChargeResult:
    """Pay a patient's cost: their own employee account first, then their bindings in the
    order they chose. All or nothing; a repeated settlement number charges nothing more.
    `lookup` is what `charge_lookup` read for this institution, card and settlement number
    (used only if it was read for exactly those)."""
    value = _clean_amount(amount)
    settlement_number = settlement_number.strip()
    if not settlement_number:
        raise ChargeRefused(_("The settlement number is missing."), code="settlement_missing")
    request = {"id_number": normalize_id_number(id_number), "amount": value, "category": category}
    if (
        lookup is not None
        and lookup.institution.pk == institution.pk
        and lookup.card_number == card_number.strip().upper()
        and lookup.settlement_number == settlement_number
    ):
        facts, policy = lookup.facts, lookup.policy
    else:
        number = card_number.strip().upper()
        facts, policy = facts_and_policy(institution, number, settlement_number)
    if facts is None or facts.done or not facts.card_active:
        # Rare: a retry, an unknown or inactive card: the same checks, one by one.
        done = Charge.objects.filter(institution=institution, settlement_number=settlement_number)
        if (first := done.select_related("patient").first()) is not None:
            return replay(first, request)
        patient, card = patient_and_card(institution, request, card_number, settlement_number)
        check_category(institution, category, policy)
        own = _own_account_id(patient.pk)
        return charge_locked(
            institution, patient, card.pk, own, value, category, settlement_number, request
        )
    if facts.id_number_index != blind_index(str(request["id_number"])):
        # 冒名就医 (or a typo): looked at closely there, flagged and refused.
        patient_and_card(institution, request, card_number, settlement_number)
    patient = InsuredPerson(pk=facts.person_id, name=facts.person_name)
    check_category(institution, category, policy)
    if not facts.bound:
        refuse_what_the_own_account_cannot_pay(facts, value)
    return charge_locked(
        institution,
        patient,
        facts.card_id,
        facts.own_account_id,
        value,
        category,
        settlement_number,
        request,
    )


def _own_account_id(person_id: int) -> int | None:
    return (
        PersonalAccount.objects.filter(
            person_id=person_id,
            enrollment__status=Enrollment.Status.ACTIVE,
            enrollment__scheme=Scheme.EMPLOYEE,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def _clean_amount(amount: Decimal | str) -> Decimal:
    try:
        return clean_amount(amount)
    except AccountsError as exc:
        raise ChargeRefused(exc.message, code=exc.code) from None
