"""Administrators keep the working-day calendar here: single days decided by hand, and the
years whose whole schedule has been typed in. Every save announces the change (see
`cases.signals`), so deadlines computed on the old answers can be recomputed."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

from cases.calendar import is_published_year
from cases.models import CalendarOverride, CalendarYear


def _parse_date(term: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(term.strip())
    except ValueError:
        return None


def _parse_year(term: str) -> int | None:
    term = term.strip()
    return int(term) if len(term) == 4 and term.isdigit() else None


class UpdatedByMixin:
    """Records who made the edit; the form never offers the field."""

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)  # type: ignore[misc]


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(UpdatedByMixin, admin.ModelAdmin[CalendarOverride]):
    list_display = ("date", "weekday", "is_working_day", "note", "updated_at", "updated_by")
    list_filter = ("is_working_day",)
    date_hierarchy = "date"
    search_fields = ("note",)
    readonly_fields = ("updated_at", "updated_by")
    list_select_related = ("updated_by",)

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarOverride) -> str:
        return str(WEEKDAYS_ABBR[obj.date.weekday()])

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[CalendarOverride], search_term: str
    ) -> tuple[QuerySet[CalendarOverride], bool]:
        # A date or a year is what people type here; the note is searched otherwise.
        day, year = _parse_date(search_term), _parse_year(search_term)
        if day is not None:
            return queryset.filter(date=day), False
        if year is not None:
            return queryset.filter(date__year=year), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(CalendarYear)
class CalendarYearAdmin(UpdatedByMixin, admin.ModelAdmin[CalendarYear]):
    list_display = ("year", "published", "complete", "note", "updated_at", "updated_by")
    list_filter = ("complete",)
    search_fields = ("note",)
    readonly_fields = ("updated_at", "updated_by")
    list_select_related = ("updated_by",)

    @admin.display(description=_("published in chinesecalendar"), boolean=True)
    def published(self, obj: CalendarYear) -> bool:
        return is_published_year(obj.year)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[CalendarYear], search_term: str
    ) -> tuple[QuerySet[CalendarYear], bool]:
        year = _parse_year(search_term)
        if year is not None:
            return queryset.filter(year=year), False
        return super().get_search_results(request, queryset, search_term)
