"""The locks and checks around a workflow step: the row locked for the rest of the
transaction, one person's applications serialised, the four-eyes rule, today's date. The step
itself is declared and run through `cases.steps`."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import InsuredPerson
from cases.errors import CaseError
from cases.models import Case, CaseEvent

if TYPE_CHECKING:
    from accounts.models import User


W = TypeVar("W", bound=models.Model)


def today() -> datetime.date:
    return timezone.localdate()


def require_four_eyes(*, case: Case, by: User | None, first_actions: Sequence[str]) -> None:
    """Refuse a second review by whoever did the first review of the same case."""
    if by is None:
        return
    if CaseEvent.objects.filter(case=case, actor=by, action__in=first_actions).exists():
        raise CaseError(
            _("The second review must be done by someone other than the first reviewer."),
            code="four_eyes",
        )


def person_lock(person: InsuredPerson) -> None:
    """Serialise one person's applications until the transaction ends, so that the check for an
    open case of theirs and the insert after it are one step: a double click, two tabs or a
    retried request cannot both pass the check."""
    list(InsuredPerson.objects.select_for_update().filter(pk=person.pk).values_list("pk"))


def lock(obj: W) -> W:
    """The row again, locked until the transaction ends: every check after this sees the
    state no other request can change under it."""
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)
