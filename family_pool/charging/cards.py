"""Medical insurance cards: issued to a person, deactivated when lost or replaced."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import InsuredPerson
from cases.errors import CaseError
from family_pool.models import InsuranceCard


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
