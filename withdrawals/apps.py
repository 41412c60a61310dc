from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WithdrawalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "withdrawals"
    verbose_name = _("Withdrawals")

    def ready(self) -> None:
        from cases.models import CaseKind
        from cases.registry import register_action_labels, register_kind

        register_kind(
            CaseKind.WITHDRAWAL,
            detail_url_name="withdrawals:detail",
            model_label="withdrawals.Withdrawal",
        )
        register_kind(
            CaseKind.EMERGENCY_REFUND,
            detail_url_name="withdrawals:refund_detail",
            model_label="withdrawals.EmergencyRefund",
        )
        register_action_labels(
            {
                "request_documents": _("Documents requested"),
                "documents_supplied": _("Documents supplied"),
                "first_review": _("First review done"),
                "approve": _("Approved"),
                "refuse_on_review": _("Refused on review"),
                "refuse": _("Refused"),
                "pay": _("Paid out"),
                "close_account": _("Personal account closed"),
                "cancel": _("Cancelled"),
                "credit": _("Credited back"),
                "assessed": _("Assessment changed"),
            }
        )
