"""The audit log, read-only, for the auditor and the security administrator (both hold
`audit.view_auditevent`; nobody can be given more, the model has no other permission)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
