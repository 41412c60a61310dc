from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cases.signals import calendar_changed


def _recompute_deadlines(sender: Any, years: frozenset[int], **kwargs: Any) -> None:
    # Local: Django imports apps.py before any model exists, and deadlines imports models.
    from cases.deadlines import deadlines_recompute

    with transaction.atomic():
        deadlines_recompute(years=years)


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # A deadline computed on a guessed year is recomputed when that year is published.
        calendar_changed.connect(_recompute_deadlines, dispatch_uid="cases.recompute_deadlines")
