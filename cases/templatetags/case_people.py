"""The insured person as case pages show them: ID number and phone masked, the full ID number
once after a member of staff allowed to see it asked (and the history recorded it)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import template

from accounts.idnumbers import mask_id_number
from cases.models import Case
from cases.selectors import is_staff_member

register = template.Library()

# The case whose full ID number the next page view may show; taken when shown.
REVEAL_SESSION_KEY = "cases_reveal_id_for"


@dataclass(frozen=True)
class PersonCard:
    name: str
    id_number: str
    revealed: bool
    can_reveal: bool
    sex: str
    birth_date: datetime.date
    phone: str


def mask_phone(phone: str) -> str:
    """The carrier prefix and the last four digits: 139****5678."""
    if len(phone) != 11:
        return "*" * max(len(phone) - 2, 0) + phone[-2:]
    return f"{phone[:3]}****{phone[-4:]}"


def _take_reveal(request: Any, case_id: int) -> bool:
    session = getattr(request, "session", None)
    if session is None or session.get(REVEAL_SESSION_KEY) != case_id:
        return False
    del session[REVEAL_SESSION_KEY]
    return True


@register.simple_tag(takes_context=True)
def person_card(context: template.Context, case: Case) -> PersonCard:
    request = context.get("request")
    user = getattr(request, "user", None)
    can_reveal = bool(
        user is not None and is_staff_member(user) and user.has_perm("accounts.reveal_id_number")
    )
    revealed = can_reveal and _take_reveal(request, case.pk)
    person = case.person
    return PersonCard(
        name=person.name,
        id_number=person.id_number if revealed else mask_id_number(person.id_number),
        revealed=revealed,
        can_reveal=can_reveal,
        sex=person.get_sex_display(),
        birth_date=person.birth_date,
        phone=mask_phone(person.phone),
    )
