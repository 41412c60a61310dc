from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransfersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "transfers"
    verbose_name = _("Transfers")

    def ready(self) -> None:
        # Local: the app registry must be ready before models and rules load.
        import transfers.permissions  # noqa: F401  (registers the steps' rules)
        import transfers.services  # noqa: F401  (registers what the steps' buttons run)
        from cases.models import CaseKind
        from cases.registry import (
            register_action_labels,
            register_expected_completion,
            register_kind,
        )
        from cases.steps import declared
        from cases.turns import register_turn
        from transfers.models import Transfer
        from transfers.models.transfer import transfer_turn
        from transfers.progress import expected_completions

        register_kind(
            CaseKind.TRANSFER, detail_url_name="transfers:detail", model_label="transfers.Transfer"
        )
        register_turn(CaseKind.TRANSFER, transfer_turn)
        register_expected_completion(CaseKind.TRANSFER, expected_completions)
        register_action_labels(
            {name: step.history_label for name, step in declared(Transfer).items()}
        )
        register_action_labels(
            {
                # Written by earlier versions of the workflow; their history stays readable.
                "report_mismatch": _("Mismatch reported"),
                "return_balance": _("Balance returned"),
                "origin_account_left_open": _("Origin account left open"),
                "balance_merged": _("Portable balance merged into the destination account"),
                "info_table_viewed": _("Information table viewed"),
            }
        )
