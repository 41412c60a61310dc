"""The audit log, read-only, for the auditor and the security administrator (both hold
`audit.view_auditevent`; nobody can be given more, the model has no other permission)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet

from accounts.admin import ReadOnlyAdmin
from accounts.admin_scope import AgencyScopedAdmin
from accounts.models import Agency, User
from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(AgencyScopedAdmin, ReadOnlyAdmin):
    list_display = ("at", "action", "username", "ip_address", "object_repr")
    list_filter = ("action",)
    date_hierarchy = "at"
    search_fields = ("username", "ip_address", "object_repr")
    fields = (
        "at",
        "action",
        "user",
        "username",
        "ip_address",
        "user_agent",
        "object_repr",
        "detail",
    )
    readonly_fields = fields
    list_select_related = ("user",)

    def scope(self, rows: QuerySet[Any], *, user: User, agency: Agency) -> QuerySet[Any]:
        # What the agency's own people did; a failed sign-in has no user, only the name typed.
        staff = User.objects.filter(agency=agency)
        return rows.filter(
            Q(user__in=staff) | Q(user__isnull=True, username__in=staff.values("username"))
        )
