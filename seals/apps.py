from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SealsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "seals"
    verbose_name = _("Electronic seals")
