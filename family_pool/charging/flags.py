"""冒名就医: a card shown by someone who is not its owner. The charge is refused, the attempt
flagged for the agency's supervisors, and the flag reviewed by staff."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import InsuredPerson, User
from cases.errors import CaseError
from cases.notifications import notify
from family_pool.charging.results import ChargeRefused
from family_pool.models import FlaggedCharge, Institution, InsuranceCard
from family_pool.rules import agency_for_region


def patient_and_card(
    institution: Institution, request: dict[str, object], card_number: str, settlement: str
) -> tuple[InsuredPerson, InsuranceCard]:
    """The patient and the card, checked one by one: refused (and flagged) when the card is
    unknown, inactive or someone else's."""
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
