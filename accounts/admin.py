"""Administrators see people, accounts and policy here; money moves only through the ledger
services, so balances and entries are read-only in the admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import (
    AgencyScopedAdmin,
    PersonScopedAdmin,
    masked,
    persons_related_to,
    staff_of,
)
from accounts.duties import check_group_permissions, check_separation_of_duties
from accounts.freezes.models import AccountFreeze
from accounts.idnumbers import mask_id_number, normalize_id_number
from accounts.masking import mask_phone
from accounts.models import (
    Agency,
    Enrollment,
    InsuredPerson,
    LedgerEntry,
    LedgerTransaction,
    PersonalAccount,
    Region,
    RegionPolicy,
    User,
)
from accounts.roles import permission_label, role_label


class IdNumberSearchMixin:
    """Search by a whole ID number (exact, any case or spacing) besides the usual fields."""

    id_number_path = "id_number"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        normalized = normalize_id_number(search_term)
        if len(normalized) == 18:
            return queryset.filter(**{self.id_number_path: normalized}), False
        found: tuple[QuerySet[Any], bool] = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        return found


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin[Region]):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    list_display = ("code", "name", "region", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "region__name")
    raw_id_fields = ("region",)


class EnrollmentInline(admin.TabularInline[Enrollment, InsuredPerson]):
    model = Enrollment
    extra = 0
    raw_id_fields = ("region",)
    fields = (
        "region",
        "scheme",
        "status",
        "start_date",
        "end_date",
        "contribution_months",
        "in_arrears",
    )


@admin.register(InsuredPerson)
class InsuredPersonAdmin(IdNumberSearchMixin, PersonScopedAdmin):
    person_path = ""
    list_display = ("name", "masked_id_number", "sex", "birth_date", "masked_phone")
    search_fields = ("name", "phone")
    inlines = (EnrollmentInline,)

    masked_id_number = masked("id_number", mask_id_number, _("ID number"))
    masked_phone = masked("phone", mask_phone, _("mobile number"))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Typed in once when the person is registered; afterwards shown masked only: the
        # full number is read through the case page's logged reveal.
        if obj is None:
            return ("name", "id_number", "phone")
        return ("name", "masked_id_number", "masked_phone", "birth_date", "sex", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("masked_id_number", "masked_phone", "birth_date", "sex", "created_at")


@admin.register(Enrollment)
class EnrollmentAdmin(IdNumberSearchMixin, PersonScopedAdmin):
    id_number_path = "person__id_number"
    list_display = ("person", "region", "scheme", "status", "contribution_months", "in_arrears")
    list_filter = ("scheme", "status", "in_arrears")
    search_fields = ("person__name", "region__name")
    raw_id_fields = ("person", "region")
    list_select_related = ("person", "region")


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """The one base for rows the admin only shows: they change through the services (money,
    case states) or never (the audit log). Every app's read-only admins build on it."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LedgerEntryInline(admin.TabularInline[LedgerEntry, Any]):
    model = LedgerEntry
    extra = 0
    can_delete = False
    fields = ("created_at", "transaction", "direction", "amount", "fund_source", "balance_after")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PersonalAccount)
class PersonalAccountAdmin(IdNumberSearchMixin, PersonScopedAdmin, ReadOnlyAdmin):
    id_number_path = "person__id_number"
    list_display = ("id", "person", "enrollment", "balance", "status")
    list_filter = ("status",)
    search_fields = ("person__name",)
    list_select_related = ("person", "enrollment__region", "enrollment__person")
    inlines = (LedgerEntryInline,)


@admin.register(AccountFreeze)
class AccountFreezeAdmin(PersonScopedAdmin, ReadOnlyAdmin):
    """Set and lifted on the supervisor's page (accounts.freezes.views), never here."""

    person_path = "account__person"

    list_display = ("account", "kind", "set_by", "set_at", "lifted_by", "lifted_at")
    list_filter = ("kind", ("lifted_at", admin.EmptyFieldListFilter))
    search_fields = ("account__person__name",)
    list_select_related = ("account__person", "set_by", "lifted_by")


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(AgencyScopedAdmin, ReadOnlyAdmin):
    list_display = ("id", "kind", "memo", "created_at", "created_by")
    list_filter = ("kind",)
    search_fields = ("idempotency_key", "memo")
    inlines = (LedgerEntryInline,)

    def scope(self, rows: QuerySet[Any], *, user: User, agency: Agency) -> QuerySet[Any]:
        # A transaction belongs to the agency when one of its entries does (a transfer's
        # moves both ends' accounts); a subquery, so that it is listed once.
        entries = LedgerEntry.objects.filter(
            Q(account__person__in=persons_related_to(agency))
            | Q(clearing__region_id=agency.region_id)
        )
        return rows.filter(pk__in=entries.values("transaction_id"))


@admin.register(LedgerEntry)
class LedgerEntryAdmin(IdNumberSearchMixin, PersonScopedAdmin, ReadOnlyAdmin):
    id_number_path = "account__person__id_number"
    person_path = "account__person"

    def scope(self, rows: QuerySet[Any], *, user: User, agency: Agency) -> QuerySet[Any]:
        # A clearing account's entries belong to the fund its region runs.
        people = super().scope(rows, user=user, agency=agency)
        return people | rows.filter(clearing__region_id=agency.region_id)

    list_display = (
        "id",
        "account",
        "direction",
        "amount",
        "fund_source",
        "balance_after",
        "created_at",
    )
    list_filter = ("direction", "fund_source")
    list_select_related = ("account__person",)
    search_fields = ("account__person__name",)


@admin.register(RegionPolicy)
class RegionPolicyAdmin(admin.ModelAdmin[RegionPolicy]):
    list_display = (
        "__str__",
        "transfer_total_days",
        "balance_portable_in_province",
        "withdrawal_fee",
    )
    raw_id_fields = ("region",)
    search_fields = ("region__name", "region__code")


class PortalUserChangeForm(UserChangeForm[User]):
    """Refuses a role combination that breaks the separation of duties as a form error (the
    m2m_changed check in accounts.duties would otherwise stop the save with an error page)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        groups = data.get("groups", self.instance.groups.all() if self.instance.pk else [])
        permissions = data.get(
            "user_permissions",
            self.instance.user_permissions.all() if self.instance.pk else [],
        )
        try:
            check_separation_of_duties(groups=groups, permissions=permissions)
        except ValidationError as exc:
            self.add_error("groups" if "groups" in self.fields else None, exc)
        return data


class PortalGroupForm(forms.ModelForm[Group]):
    """Refuses permissions that break the separation of duties as a form error (the
    m2m_changed check in accounts.duties would otherwise stop the save with an error page)."""

    class Meta:
        model = Group
        fields = ("name", "permissions")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        permissions = data.get("permissions")
        if permissions is not None:
            group = Group(pk=self.instance.pk, name=data.get("name", self.instance.name))
            try:
                check_group_permissions(group, permissions.select_related("content_type"))
            except ValidationError as exc:
                self.add_error("permissions", exc)
        return data


admin.site.unregister(Group)


class RoleFilter(admin.RelatedFieldListFilter):
    """The users' roles filter, by the roles' words."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        return [
            (pk, role_label(str(name)))
            for pk, name in super().field_choices(field, request, model_admin)
        ]


class RoleWordsAdmin(admin.ModelAdmin[Any]):
    """Roles and permissions by their words in the page's language, not their stored codes
    and names (accounts.roles.role_label, permission_label)."""

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field: Any = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is None:
            return field
        # ModelChoiceField's documented way to word its choices: replace label_from_instance.
        if db_field.name == "groups":
            field.label_from_instance = lambda group: role_label(group.name)
        elif db_field.name in ("permissions", "user_permissions"):
            field.queryset = field.queryset.select_related("content_type")
            field.label_from_instance = permission_label
        return field


@admin.register(Group)
class PortalGroupAdmin(RoleWordsAdmin, BaseGroupAdmin):
    form = PortalGroupForm
    list_display = ("role",)

    @admin.display(description=_("role"), ordering="name")
    def role(self, group: Group) -> str:
        return role_label(group.name)

    @admin.display(description=_("permissions"))
    def permission_words(self, group: Group) -> str:
        rows = group.permissions.select_related("content_type")
        return ", ".join(permission_label(p) for p in rows)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            # Shown, not edited: the permissions by their words, not their stored names.
            return ["permission_words" if f == "permissions" else f for f in fields]
        return fields


# What only a national administrator (a superuser of no agency) may change on a user: the
# superuser flag, single permissions (roles are groups), and an applicant's person.
_NATIONAL_USER_FIELDS = ("is_superuser", "user_permissions", "person")


@admin.register(User)
class UserAdmin(AgencyScopedAdmin, RoleWordsAdmin, BaseUserAdmin[User]):
    """A system administrator runs their own agency's staff (and sees the applicant logins of
    the people related to it); they can neither move anyone to another agency nor make a
    superuser."""

    form = PortalUserChangeForm
    list_display = ("username", "full_name", "agency", "is_staff", "is_active")
    list_filter = ("is_staff", "is_active", ("groups", RoleFilter), "agency")
    raw_id_fields = ("person",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (_("Portal"), {"fields": ("masked_mobile", "agency", "person")}),
    )
    readonly_fields = ("masked_mobile",)

    masked_mobile = masked("mobile", mask_phone, _("mobile number"))

    @admin.display(description=_("full name"), ordering="last_name")
    def full_name(self, user: User) -> str:
        return user.get_full_name()

    def scope(self, rows: QuerySet[Any], *, user: User, agency: Agency) -> QuerySet[Any]:
        return rows.filter(pk__in=staff_of(agency).values("pk"))

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # Someone added by an agency's administrator is of that agency (else they could not
        # find them again).
        by: Any = request.user
        if not change and obj.agency_id is None and not by.is_superuser:
            obj.agency_id = by.agency_id
        super().save_model(request, obj, form, change)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not getattr(request.user, "is_superuser", False):
            fields += _NATIONAL_USER_FIELDS
        return fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        user: Any = request.user
        if db_field.name == "agency" and not user.is_superuser:
            kwargs["queryset"] = Agency.objects.filter(pk=user.agency_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
