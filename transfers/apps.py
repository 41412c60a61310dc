from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransfersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "transfers"
    verbose_name = _("Transfers")

    def ready(self) -> None:
        from cases.models import CaseKind
        from cases.registry import register_kind

        register_kind(
            CaseKind.TRANSFER, detail_url_name="transfers:detail", model_label="transfers.Transfer"
        )
