from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("People and accounts")

    def ready(self) -> None:
        # In ready(), not at the top: both import models, which load after this module.
        from accounts.duties import connect_signals
        from accounts.roles import sync_roles_after_migrate

        # Every app sends post_migrate after creating its permissions; syncing on each
        # one means the roles are complete after the last, whatever the app order.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="accounts.sync_roles")
        # Separation of duties: checks on every change of roles and permissions.
        connect_signals()
