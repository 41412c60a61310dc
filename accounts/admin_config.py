"""django.contrib.admin's app, with `admin.site` the portal's site (`accounts.admin_site`).

A module of its own: INSTALLED_APPS imports it before any model is loaded, and the site's
module imports models.
"""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.PortalAdminSite"
