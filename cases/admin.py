"""Administrators keep the working-day calendar here: single days decided by hand, and the
years whose whole schedule has been typed in. Every save announces the change (see
`cases.signals`), so deadlines computed on the old answers can be recomputed."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from accounts.admin_scope import CaseScopedAdmin, masked
from accounts.masking import mask_phone
from accounts.models import Agency, User
from cases import registry
from cases.calendar import is_published_year
from cases.models import (
    CalendarOverride,
    CalendarYear,
    Case,
    CaseEvent,
    Deadline,
    Document,
    Notification,
)
from cases.selectors import cases_visible_to
from cases.units import file_size


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


class _ReadOnly(CaseScopedAdmin, ReadOnlyAdmin):
    """Case rows change only through the services; the admin shows them, to staff only those
    of their own agency's cases (as the case pages do)."""


class EventWords:
    """A history line's actor, action and states in words (cases.registry), not codes."""

    @admin.display(description=_("by (system)"))
    def actor_words(self, event: CaseEvent) -> str:
        return registry.actor_label(event.actor_label) if event.actor_id is None else ""

    @admin.display(description=_("action"), ordering="action")
    def action_words(self, event: CaseEvent) -> str:
        return registry.action_label(event.action)

    @admin.display(description=_("from state"))
    def from_words(self, event: CaseEvent) -> str:
        return registry.state_label(event.case.kind, event.from_state) if event.from_state else ""

    @admin.display(description=_("to state"))
    def to_words(self, event: CaseEvent) -> str:
        return registry.state_label(event.case.kind, event.to_state) if event.to_state else ""


class ActionFilter(admin.SimpleListFilter):
    """History lines by their action, named in words."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        actions = CaseEvent.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(((a, registry.action_label(a)) for a in actions), key=lambda c: c[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(action=self.value()) if self.value() else queryset


EVENT_FIELDS = ("at", "actor", "actor_words", "action_words", "from_words", "to_words", "reason")


class CaseEventInline(EventWords, admin.TabularInline):  # type: ignore[type-arg]
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = EVENT_FIELDS
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class DeadlineInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Deadline
    extra = 0
    can_delete = False
    fields = ("step", "working_days", "started_on", "due_on", "provisional", "status")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(_ReadOnly):
    case_path = ""
    list_display = (
        "reference",
        "kind",
        "person",
        "state_words",
        "agency",
        "other_agency",
        "created_at",
    )
    list_filter = ("kind", "channel", "agency")
    search_fields = ("reference", "=person__id_number")
    list_select_related = ("person", "agency", "other_agency")
    inlines = (DeadlineInline, CaseEventInline)

    @admin.display(description=_("state"), ordering="state")
    def state_words(self, case: Case) -> str:
        return registry.state_label(case.kind, case.state)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["state_words" if f == "state" else f for f in super().get_fields(request, obj)]


@admin.register(CaseEvent)
class CaseEventAdmin(EventWords, _ReadOnly):
    list_display = ("at", "case", "actor", "actor_words", "action_words", "from_words", "to_words")
    fields = ("case", *EVENT_FIELDS)
    list_filter = (ActionFilter,)
    search_fields = ("case__reference", "=case__person__id_number")
    list_select_related = ("case", "actor")


@admin.register(Document)
class DocumentAdmin(_ReadOnly):
    list_display = ("case", "kind", "original_name", "content_type", "size_words", "uploaded_at")
    list_filter = ("kind", "content_type")
    search_fields = ("case__reference",)
    list_select_related = ("case",)
    exclude = ("file",)

    @admin.display(description=_("size"), ordering="size")
    def size_words(self, document: Document) -> str:
        return file_size(document.size)


@admin.register(Deadline)
class DeadlineAdmin(_ReadOnly):
    list_display = ("case", "step", "due_on", "provisional", "status", "next_sweep_on")
    list_filter = ("step", "status", "provisional")
    search_fields = ("case__reference",)
    list_select_related = ("case",)


@admin.register(Notification)
class NotificationAdmin(_ReadOnly):
    list_display = ("created_at", "channel", "recipient", "subject", "status", "attempts")
    list_filter = ("channel", "status")
    list_select_related = ("recipient",)
    exclude = ("address",)
    readonly_fields = ("masked_address",)

    # An SMS goes to a mobile number, shown masked; an e-mail address as it is.
    masked_address = masked("address", lambda a: mask_phone(a) if a.isdigit() else a, _("address"))

    def scope(self, rows: QuerySet[Any], *, user: User, agency: Agency) -> QuerySet[Any]:
        # A notification about no case (a flagged charge, say) went to its agency's staff.
        return rows.filter(
            Q(case__in=cases_visible_to(user)) | Q(case__isnull=True, recipient__agency=agency)
        )
