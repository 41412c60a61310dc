"""The working-day calendar's tables: what an administrator can say about it, single days
decided by hand, and years whose whole published schedule has been typed in. The answers come
from `cases.calendar`; `cases.models` imports these, so they are the `cases` app's models."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

FIRST_YEAR, LAST_YEAR = 1900, 2100


class CalendarOverride(models.Model):
    """One day decided by hand. It wins over the published schedule and over the guess."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(
        _("note"),
        max_length=200,
        blank=True,
        help_text=_("Why this day differs, e.g. the State Council notice it comes from."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering: ClassVar = ["date"]

    def __str__(self) -> str:
        kind = _("working day") if self.is_working_day else _("rest day")
        return f"{self.date.isoformat()} {kind}"


class CalendarYear(models.Model):
    """A year whose whole published schedule is in the override table, so that its other
    days follow the plain Monday–Friday rule and are no longer a guess."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    complete = models.BooleanField(
        _("complete"),
        default=False,
        help_text=_(
            "Tick once every holiday and make-up working day of this year's State Council "
            "schedule is entered as an override; other days then follow Monday to Friday."
        ),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering: ClassVar = ["-year"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(year__gte=FIRST_YEAR, year__lte=LAST_YEAR),
                name="calendar_year_in_range",
                violation_error_message=_("The year must be between 1900 and 2100."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)
