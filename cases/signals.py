"""`calendar_changed` tells whoever computed something on a year's working days (deadlines,
most of all those computed on a provisional guess) that the year's answers may have changed.

It is sent with `years`, a frozenset of the affected years, once the transaction that saved
or deleted a `CalendarOverride` or `CalendarYear` has committed: a receiver that recomputes
then reads the new calendar, and a rolled-back edit announces nothing."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal

calendar_changed = Signal()

# Keyed by label rather than class because models.py imports this module to connect the
# receivers; the lazy sender strings are resolved by Django once the models exist.
_YEAR_OF: dict[str, Callable[[Any], int]] = {
    "cases.CalendarOverride": lambda row: _as_date(row.date).year,
    "cases.CalendarYear": lambda row: int(row.year),
}

# Where pre_save leaves the year a row had before the edit, for post_save to announce too:
# moving an override from one year to another changes both years.
_PREVIOUS_YEAR = "_calendar_previous_year"


def _as_date(value: datetime.date | str) -> datetime.date:
    # Code may assign an ISO string to a DateField; the row saves fine, so must this.
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _announce(sender: type[Model], years: frozenset[int]) -> None:
    # robust: the edit is committed whatever a receiver does, so a failing receiver is
    # logged by Django rather than turned into an error page for the administrator.
    transaction.on_commit(lambda: calendar_changed.send(sender=sender, years=years), robust=True)


def _remember_previous_year(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    if instance.pk is None:
        return
    previous = sender._default_manager.filter(pk=instance.pk).first()
    if previous is not None:
        vars(instance)[_PREVIOUS_YEAR] = _YEAR_OF[sender._meta.label](previous)


def _announce_saved(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    years = {_YEAR_OF[sender._meta.label](instance)}
    previous = vars(instance).pop(_PREVIOUS_YEAR, None)
    if previous is not None:
        years.add(previous)
    _announce(sender, frozenset(years))


def _announce_deleted(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    _announce(sender, frozenset({_YEAR_OF[sender._meta.label](instance)}))


for _label in _YEAR_OF:
    pre_save.connect(_remember_previous_year, sender=_label)
    post_save.connect(_announce_saved, sender=_label)
    post_delete.connect(_announce_deleted, sender=_label)
