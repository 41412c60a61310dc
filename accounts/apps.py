from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("People and accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accounts.roles import sync_roles_after_migrate
        from accounts.security import connect_signals

        # Every app sends post_migrate after creating its permissions; syncing on each
        # one means the roles are complete after the last, whatever the app order.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="accounts.sync_roles")
        # Separation of duties: checks on every change of roles and permissions.
        connect_signals()
