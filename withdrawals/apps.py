from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WithdrawalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "withdrawals"
    verbose_name = _("Withdrawals")

    def ready(self) -> None:
        # Local: the app registry must be ready before models and rules load.
        import withdrawals.payout  # noqa: F401  (registers what the steps' buttons run)
        import withdrawals.permissions  # noqa: F401  (registers the steps' rules)
        import withdrawals.refunds  # noqa: F401  (registers what the steps' buttons run)
        import withdrawals.services  # noqa: F401  (registers what the steps' buttons run)
        from cases.documents import register_document_kinds
        from cases.models import CaseKind
        from cases.registry import register_action_labels, register_kind
        from cases.steps import declared
        from withdrawals.models import EmergencyRefund, Withdrawal
        from withdrawals.rules import withdrawal_documents

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
        register_document_kinds(CaseKind.WITHDRAWAL, withdrawal_documents)
        for model in (Withdrawal, EmergencyRefund):
            register_action_labels(
                {name: step.history_label for name, step in declared(model).items()}
            )
        register_action_labels(
            {
                "assessed": _("Assessment changed"),
            }
        )
