"""django.contrib.admin's app, with `admin.site` the portal's site (`accounts.admin_site`).

A module of its own: INSTALLED_APPS imports it before any model is loaded, and the site's
module imports models.
"""

from __future__ import annotations

from axes.apps import AppConfig as AxesConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class PortalAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.PortalAdminSite"


class LockoutConfig(AxesConfig):
    """django-axes (sign-in lockouts), named in the admin in the page's language: axes gives
    its app no name, so the admin showed its label, "Axes", on Chinese pages too."""

    verbose_name = _("Sign-in lockouts")

    def ready(self) -> None:
        super().ready()
        from axes.admin import AccessAttemptAdmin

        # Django's documented way to name an admin column; axes leaves this one unnamed, so
        # it showed the method's name, "Status", in every language.
        AccessAttemptAdmin.status.short_description = _("status")
