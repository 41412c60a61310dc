from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = _("Security audit")

    def ready(self) -> None:
        from accounts.security import connect_signals
        from audit.receivers import connect_receivers

        # The audit app carries the security wiring: separation-of-duties checks on role
        # changes and the receivers that turn sign-ins and lockouts into audit rows.
        connect_signals()
        connect_receivers()
