"""The dashboard's figures of one agency as last computed (`cases.figures`): the pages read
them instead of aggregating the agency's cases on every request. `cases.models` imports this,
so it is the `cases` app's model."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AgencyFigures(models.Model):
    """One row per agency, overwritten by each refresh. The parts live in separate columns
    so that a page reads only its own (the forecast's queue is by far the largest)."""

    agency = models.OneToOneField(
        "accounts.Agency", on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    computed_at = models.DateTimeField(_("computed at"))
    # The day the figures count from (overdue, working days left): a snapshot of another day
    # is never shown.
    on = models.DateField(_("day"))
    # The agency's board with the team's load, each assignee's board and the baseline
    # forecast's count and first rows.
    board = models.JSONField(_("board"), default=dict)
    # The forecast's inputs: the queued steps (compact rows) and the stage paces.
    forecast = models.JSONField(_("forecast inputs"), default=dict)
    # The monthly report of the current and the previous month, by first day.
    reports = models.JSONField(_("monthly reports"), default=dict)

    class Meta:
        verbose_name = _("agency figures")
        verbose_name_plural = _("agency figures")

    def __str__(self) -> str:
        return f"{self.agency_id} @ {self.computed_at:%Y-%m-%d %H:%M}"
