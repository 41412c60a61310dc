"""Report where each year's working days come from, and list in the admin the years that
`chinesecalendar` does not publish, so that someone types their schedule in and marks them
complete. Safe to run again: it only adds the rows that are missing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cases.calendar import is_published_year
from cases.models import CalendarYear

FIRST_PUBLISHED_YEAR = 2004


def _spans(years: Iterable[int]) -> str:
    """2004, 2005, 2006, 2009 -> "2004–2006, 2009"."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs) or "-"


class Command(BaseCommand):
    help = "Report the source of each year's working days and add the unpublished years."

    def handle(self, *args: Any, **options: Any) -> None:
        years = range(FIRST_PUBLISHED_YEAR, timezone.localdate().year + 2)
        rows = {row.year: row for row in CalendarYear.objects.filter(year__in=years)}
        published = [y for y in years if is_published_year(y)]
        complete = [y for y in years if y not in published and y in rows and rows[y].complete]
        provisional = [y for y in years if y not in published and y not in complete]
        created = self._add_years([y for y in provisional if y not in rows])

        if options["verbosity"] >= 2:
            for year in years:
                source = (
                    _("published")
                    if year in published
                    else _("complete")
                    if year in complete
                    else _("provisional")
                )
                self.stdout.write(f"{year}: {source}")
        self.stdout.write(_("Published (chinesecalendar): %s") % _spans(published))
        self.stdout.write(_("Complete in the override table: %s") % _spans(complete))
        self.stdout.write(_("Provisional (guessed): %s") % _spans(provisional))
        self.stdout.write(_("Calendar years added: %s") % _spans(created))

    def _add_years(self, years: list[int]) -> list[int]:
        # The note is read in the admin, so it is written in the site's language, not in
        # the untranslated one management commands run in.
        with translation.override(settings.LANGUAGE_CODE):
            note = str(
                _(
                    "Added by load_calendar: chinesecalendar has no schedule for this year. "
                    "Enter its holidays and make-up working days as overrides, then tick "
                    "complete."
                )
            )
        # bulk_create sends no calendar_changed, and need not: an incomplete year changes
        # no answer. ignore_conflicts lets a concurrent run add the same year harmlessly.
        CalendarYear.objects.bulk_create(
            [CalendarYear(year=y, complete=False, note=note) for y in years],
            ignore_conflicts=True,
        )
        return years
