"""The admin site: django-otp's OTPAdminSite (staff open it only with a verified second
factor), and every change made through it written to the audit log too."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.models import ADDITION, CHANGE
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from audit.models import AuditAction
from audit.services import audit_record


class AuditedModelAdmin(ModelAdmin[Any]):
    """Mixed into every ModelAdmin the site registers: each admin log entry (bulk deletions
    included, which skip post_save) also becomes an audit row with the address and browser."""

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        return _audit_admin(request, super().log_addition(request, obj, message))

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        return _audit_admin(request, super().log_change(request, obj, message))

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        return _audit_admin(request, super().log_deletions(request, queryset))


def _audit_admin(request: HttpRequest, entries: Any) -> Any:
    actions = {ADDITION: AuditAction.ADMIN_ADD, CHANGE: AuditAction.ADMIN_CHANGE}
    for entry in entries if isinstance(entries, list) else [entries]:
        # From the content-type cache: a bulk delete logs one entry per row.
        content_type = ContentType.objects.get_for_id(entry.content_type_id)
        audit_record(
            action=actions.get(entry.action_flag, AuditAction.ADMIN_DELETE),
            user=request.user,
            request=request,
            object_repr=f"{content_type}: {entry.object_repr}",
            detail=entry.get_change_message(),
        )
    return entries


class PortalAdminSite(OTPAdminSite):
    # The code is asked for on the portal's own pages, where StaffOtpMiddleware sends an
    # unverified staff member (enrolment included), not in OTPAdminSite's login form: that
    # form would lock out a staff member who has no device yet.
    login_form = AdminAuthenticationForm
    login_template = None
    # The portal's name in the page's language, not Django's ("Django 管理").
    site_header = _("Medical insurance personal account services")
    site_title = _("Medical insurance personal account services")
    index_title = _("Administration")

    def __init__(self, name: str = "admin") -> None:
        # The default name keeps the "admin" URL namespace (OTPAdminSite's is "otpadmin").
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        if not settings.STAFF_REQUIRE_OTP:
            return AdminSite.has_permission(self, request)
        return bool(super().has_permission(request))

    def register(
        self,
        model_or_iterable: Any,
        admin_class: type[ModelAdmin[Any]] | None = None,
        **options: Any,
    ) -> None:
        base = admin_class or ModelAdmin
        audited = type(base.__name__, (AuditedModelAdmin, base), {"__module__": base.__module__})
        super().register(model_or_iterable, audited, **options)
