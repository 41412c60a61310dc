from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = _("Security audit")

    def ready(self) -> None:
        # In ready(), not at the top: the receivers import the audit models.
        from audit.receivers import connect_receivers

        # The receivers that turn sign-ins and lockouts into audit rows.
        connect_receivers()
