"""The insured person as case pages show them: ID number and phone masked, the full ID number
once after a member of staff allowed to see it asked (and the history recorded it)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django import template

from accounts.masking import mask_phone
from accounts.models import User
from cases.history import SYSTEM
from cases.models import Case
from cases.people import who
from cases.reveal import Revealable, shown_number

register = template.Library()


@dataclass(frozen=True)
class PersonCard:
    name: str
    id_number: str
    revealed: bool
    can_reveal: bool
    sex: str
    birth_date: datetime.date
    phone: str


@register.simple_tag(takes_context=True)
def person_card(context: template.Context, case: Case) -> PersonCard:
    person = case.person
    shown = shown_number(context.get("request"), case, Revealable.ID_NUMBER, person.id_number)
    return PersonCard(
        name=person.name,
        id_number=shown.text,
        revealed=shown.revealed,
        can_reveal=shown.can_reveal,
        sex=person.get_sex_display(),
        birth_date=person.birth_date,
        phone=mask_phone(person.phone),
    )


@register.filter(name="who")
def who_filter(user: User | None, system: str = "") -> str:
    """A history line's actor by name and role; `system` names who acted when no user did."""
    return who(user, system="" if system == SYSTEM else system)
