from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransfersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "transfers"
    verbose_name = _("Transfers")

    def ready(self) -> None:
        from cases.models import CaseKind
        from cases.registry import register_action_labels, register_kind

        register_kind(
            CaseKind.TRANSFER, detail_url_name="transfers:detail", model_label="transfers.Transfer"
        )
        register_action_labels(
            {
                "accept": _("Accepted"),
                "refuse": _("Refused"),
                "cancel": _("Cancelled"),
                "request_documents": _("Documents requested"),
                "documents_received": _("Documents received"),
                "transfer_out": _("Transferred out"),
                "transfer_in": _("Transferred in"),
                "report_mismatch": _("Mismatch reported"),
                "complete": _("Completed"),
                "return_balance": _("Balance returned"),
                "origin_account_left_open": _("Origin account left open"),
                "info_table_viewed": _("Information table viewed"),
            }
        )
