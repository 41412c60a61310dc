from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamilyPoolConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "family_pool"
    verbose_name = _("Family pool")

    def ready(self) -> None:
        # Local: the app registry must be ready before models and rules load.
        from django.db.models.signals import post_save

        import family_pool.permissions  # noqa: F401  (registers the steps' rules)
        import family_pool.services  # noqa: F401  (registers what the steps' buttons run)
        from accounts.signals import coverage_ended
        from cases.models import CaseKind
        from cases.registry import register_action_labels, register_kind
        from cases.steps import declared
        from cases.turns import register_turn
        from family_pool.models import Binding, Institution, binding_turn
        from family_pool.receivers import end_bindings_on_coverage_end, open_settlement_clearing

        register_kind(
            CaseKind.FAMILY_BINDING,
            detail_url_name="family_pool:detail",
            model_label="family_pool.Binding",
        )
        register_turn(CaseKind.FAMILY_BINDING, binding_turn)
        register_action_labels(
            {name: step.history_label for name, step in declared(Binding).items()}
        )
        register_action_labels(
            {
                "quota_set": _("Quota set"),
                "holder_consented": _("The account holder agreed"),
            }
        )
        coverage_ended.connect(end_bindings_on_coverage_end, dispatch_uid="family_pool.coverage")
        post_save.connect(
            open_settlement_clearing, sender=Institution, dispatch_uid="family_pool.settlement"
        )
