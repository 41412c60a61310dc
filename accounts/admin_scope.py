"""The admin shows each role what its pages would, no more: every registered ModelAdmin
scopes its rows to the user's agency through one of the mixins below (or its model is listed
in NATIONAL_MODELS: configuration every agency shares), and shows ID, card and mobile numbers
masked to everyone. The full ID number is shown only through the case page's logged reveal
(`cases.history.person_id_reveal`).

Rows outside the scope are not in `get_queryset`, so the list does not show them, a search
does not find them, an action cannot reach them, and their change, delete and history pages
say "no such object" (Django's redirect to the index)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounts.models import Agency, Enrollment, InsuredPerson, User
from accounts.regions import region_prefix
from cases.models import Case
from cases.selectors import cases_visible_to

# Shared configuration: regions, agencies, policies and the working-day calendar are the
# same for every agency; the groups are the role definitions (memberships are on the users).
NATIONAL_MODELS = frozenset(
    {
        "accounts.region",
        "accounts.agency",
        "accounts.regionpolicy",
        "auth.group",
        "cases.calendaroverride",
        "cases.calendaryear",
        "axes.accessattempt",
        "axes.accesslog",
        "axes.accessfailurelog",
        "otp_totp.totpdevice",
    }
)


def sees_every_agency(user: Any) -> bool:
    """A national administrator: a superuser who belongs to no agency (as `cases_visible_to`)."""
    return bool(user.is_superuser and user.agency_id is None)


def persons_related_to(agency: Agency) -> QuerySet[InsuredPerson]:
    """People enrolled in the agency's region (a county inside a prefecture included), on one
    of its cases (either end of a transfer), or the relative in one of its family-pool
    bindings (whose case is the holder's): whom the agency's pages show."""
    enrolled = Enrollment.objects.filter(
        region__code__startswith=region_prefix(agency.region_id)
    ).values("person_id")
    of_cases = Case.objects.filter(Q(agency=agency) | Q(other_agency=agency))
    return InsuredPerson.objects.filter(
        Q(pk__in=enrolled)
        | Q(pk__in=of_cases.values("person_id"))
        | Q(bindings_as_relative__case__in=of_cases)
    ).distinct()


def staff_of(agency: Agency) -> QuerySet[User]:
    """The agency's staff and the applicant logins of the people related to it."""
    return User.objects.filter(
        Q(agency=agency) | Q(agency__isnull=True, person__in=persons_related_to(agency))
    )


class AgencyScopedAdmin(admin.ModelAdmin[Any]):
    """The one scoping hook: `scope` narrows the rows for a user of an agency; a national
    administrator sees them all, a staff member without an agency none."""

    def scope(self, rows: QuerySet[Any], *, user: User, agency: Agency) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows: QuerySet[Any] = super().get_queryset(request)
        user = cast(User, request.user)  # the admin site lets only signed-in staff in
        if sees_every_agency(user):
            return rows
        if user.agency is None:
            return rows.none()
        return self.scope(rows, user=user, agency=user.agency)

    def in_scope(self, request: HttpRequest, obj: Any) -> bool:
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self.in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self.in_scope(request, obj)


class PersonScopedAdmin(AgencyScopedAdmin):
    """Rows of a person (`person_path`, "" for the person): those related to the agency."""

    person_path = "person"

    def scope(self, rows: QuerySet[Any], *, user: User, agency: Agency) -> QuerySet[Any]:
        lookup = f"{self.person_path}__in" if self.person_path else "pk__in"
        return rows.filter(**{lookup: persons_related_to(agency).values("pk")})


class CaseScopedAdmin(AgencyScopedAdmin):
    """Rows of a case (`case_path`, "" for the case): those its case pages show the user."""

    case_path = "case"

    def scope(self, rows: QuerySet[Any], *, user: User, agency: Agency) -> QuerySet[Any]:
        lookup = f"{self.case_path}__in" if self.case_path else "pk__in"
        return rows.filter(**{lookup: cases_visible_to(user).values("pk")})


class RegionScopedAdmin(AgencyScopedAdmin):
    """Rows of a place (`region_path`): those inside the agency's region."""

    region_path = "region"

    def scope(self, rows: QuerySet[Any], *, user: User, agency: Agency) -> QuerySet[Any]:
        prefix = region_prefix(agency.region_id)
        return rows.filter(**{f"{self.region_path}__code__startswith": prefix})


def masked(field: str, mask: Callable[[str], str], description: Any) -> Callable[[Any, Any], str]:
    """A read-only admin column or field that shows `field` masked (dotted for a related
    object's: "case.person.id_number")."""

    @admin.display(description=description)
    def show(self: Any, obj: Any) -> str:
        value: Any = obj
        for part in field.split("."):
            value = getattr(value, part, None) if value is not None else None
        return mask(str(value)) if value else ""

    show.__name__ = f"masked_{field.replace('.', '_')}"
    return show
