"""The one logged reveal of a full number on a case page: a member of staff allowed to see it
posts which number (`cases:reveal_id`), the history and the audit log record who saw what,
and the next view of the page shows that number once. Every other view shows it masked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.idnumbers import mask_id_number
from accounts.masking import mask_card_number
from cases.models import Case
from cases.selectors import is_staff_member

# The case and the number that the next page view may show in full; taken when shown.
REVEAL_SESSION_KEY = "cases_reveal_for"


class Revealable(models.TextChoices):
    ID_NUMBER = "id_number", _("ID number of the insured person")
    HEIR_ID_NUMBER = "heir_id_number", _("ID number of the heir")
    CARD_NUMBER = "card_number", _("bank card number of the payee")


@dataclass(frozen=True)
class ShownNumber:
    text: str
    what: str
    revealed: bool
    can_reveal: bool


def may_reveal(user: Any) -> bool:
    return bool(
        user is not None and is_staff_member(user) and user.has_perm("accounts.reveal_id_number")
    )


def remember_reveal(request: Any, case_id: int, what: str) -> None:
    request.session[REVEAL_SESSION_KEY] = {"case": case_id, "what": what}


def _take_reveal(request: Any, case_id: int, what: str) -> bool:
    session = getattr(request, "session", None)
    if session is None or session.get(REVEAL_SESSION_KEY) != {"case": case_id, "what": what}:
        return False
    del session[REVEAL_SESSION_KEY]
    return True


def _masked(what: str, number: str) -> str:
    return mask_card_number(number) if what == Revealable.CARD_NUMBER else mask_id_number(number)


def shown_number(request: Any, case: Case, what: Revealable, number: str) -> ShownNumber:
    """The number as this page view shows it: masked, or in full once after a logged reveal."""
    can_reveal = may_reveal(getattr(request, "user", None))
    revealed = can_reveal and _take_reveal(request, case.pk, what)
    return ShownNumber(
        text=number if revealed else _masked(what, number),
        what=what,
        revealed=revealed,
        can_reveal=can_reveal and bool(number),
    )
