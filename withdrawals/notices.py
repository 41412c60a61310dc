"""What the applicant is told: the words are marked for translation where they are written
and put into the portal's language (Chinese; users keep none of their own) when the outbox
row is made (cases.notifications.notify)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from cases.models import Case
from cases.notifications import notify, notify_person

Message = Callable[[], tuple[str, str]]


def message(subject: str, body: str, **values: Any) -> Message:
    """A notification worded in the portal's language: the strings are marked with
    gettext_noop where they are written and translated when the outbox row is made."""

    def words() -> tuple[str, str]:
        shown = {
            k: (", ".join(str(x) for x in v) if isinstance(v, list) else v)
            for k, v in values.items()
        }
        return _(subject) % shown, _(body) % shown

    return words


def tell_applicant(case: Case, words: Message, *, heir_phone: str = "") -> None:
    """The person who applied: the heir for a death, the insured person otherwise."""
    applicant = case.applicant
    if applicant is not None and applicant.person_id != case.person_id:
        notify(recipient=applicant, message=words, case=case, mobile=heir_phone)
    elif heir_phone and applicant is None:
        # A death filed at the window: the heir has no login, the deceased's phone is no use.
        notify(recipient=None, message=words, case=case, mobile=heir_phone)
    else:
        notify_person(person=case.person, message=words, case=case)
