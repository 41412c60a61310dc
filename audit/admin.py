"""The audit log, read-only, for the auditor and the security administrator (both hold
`audit.view_auditevent`; nobody can be given more, the model has no other permission)."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
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
