from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamilyPoolConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "family_pool"
    verbose_name = _("Family pool")
