"""Withdrawals and emergency refunds in the admin: read-only rows (states and money change
only through the services), searchable by case reference and ID number, with the steps that
need no typed input as actions calling the same services as the case page. Refusals and
requests for documents need reasons: they are made on the case page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from accounts.admin_scope import CaseScopedAdmin, masked
from accounts.idnumbers import mask_id_number, normalize_id_number
from accounts.masking import mask_phone, mask_sensitive
from accounts.models import User
from cases.errors import CaseError
from withdrawals import payout, refunds, services
from withdrawals.models import EmergencyRefund, Withdrawal


class _CaseRowAdmin(CaseScopedAdmin, ReadOnlyAdmin):
    """Searches an exact ID number (of the insured person, or of the heir) or a case
    reference; rows are read-only, and staff see their own agency's cases only, as on the
    case pages."""

    id_number_fields: tuple[str, ...] = ("case__person__id_number",)
    search_fields: ClassVar[tuple[str, ...]] = ("case__reference", "case__person__name")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        normalized = normalize_id_number(search_term)
        if len(normalized) == 18 and normalized[:17].isdigit():
            match = Q()
            for field in self.id_number_fields:
                match |= Q(**{field: normalized})
            return queryset.filter(match), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("reference"), ordering="case__reference")
    def reference(self, obj: Withdrawal | EmergencyRefund) -> str:
        return obj.case.reference

    @admin.display(description=_("insured person"))
    def person(self, obj: Withdrawal | EmergencyRefund) -> str:
        return f"{obj.case.person.name} · {mask_id_number(obj.case.person.id_number)}"

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        step: Callable[[Any, User], object],
        done: str,
    ) -> None:
        """Run the service on each row; a refusal is reported per case, the others go on."""
        by = request.user
        assert isinstance(by, User)  # noqa: S101 - the admin requires a login
        ok = 0
        for obj in queryset.select_related("case"):
            try:
                step(obj, by)
            except CaseError as exc:
                reasons = "; ".join(r for r in exc.reasons if r != exc.message)
                self.message_user(
                    request,
                    f"{obj.case.reference}: {exc.message} {reasons}".strip(),
                    messages.ERROR,
                )
            else:
                ok += 1
        if ok:
            self.message_user(request, f"{done}: {ok}", messages.SUCCESS)


@admin.register(Withdrawal)
class WithdrawalAdmin(_CaseRowAdmin):
    id_number_fields = ("case__person__id_number", "heir_id_number")
    search_fields = ("case__reference", "case__person__name", "heir_name")
    list_display = ("reference", "person", "ground", "state", "payout_amount", "paid_at")
    list_filter = ("state", "ground")
    list_select_related = ("case__person",)
    raw_id_fields = ("case", "account", "payout_transaction")
    exclude = ("heir_id_number", "heir_phone", "bank_account")
    readonly_fields = ("masked_heir_id_number", "masked_heir_phone", "masked_bank_account")
    actions = ("first_review", "approve", "pay")

    masked_heir_id_number = masked("heir_id_number", mask_id_number, _("heir's ID number"))
    masked_heir_phone = masked("heir_phone", mask_phone, _("heir's mobile number"))
    masked_bank_account = masked("bank_account", mask_sensitive, _("bank card number"))

    @admin.action(description=_("First review (clerk)"))
    def first_review(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        self._each(
            request,
            queryset,
            lambda w, by: services.withdrawal_first_review(withdrawal=w, by=by),
            str(_("First review done")),
        )

    @admin.action(description=_("Approve (second review, another person)"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        self._each(
            request,
            queryset,
            lambda w, by: services.withdrawal_approve(withdrawal=w, by=by),
            str(_("Approved")),
        )

    @admin.action(description=_("Make the payout and close the account"))
    def pay(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        self._each(
            request,
            queryset,
            lambda w, by: payout.withdrawal_pay(withdrawal=w, by=by),
            str(_("Paid out")),
        )


@admin.register(EmergencyRefund)
class EmergencyRefundAdmin(_CaseRowAdmin):
    list_display = ("reference", "person", "hospital", "amount", "approved_amount", "state")
    list_filter = ("state",)
    list_select_related = ("case__person",)
    raw_id_fields = ("case", "account", "credit_transaction", "reviewed_by")
    actions = ("approve", "credit")

    @admin.action(description=_("Approve the whole claim"))
    def approve(self, request: HttpRequest, queryset: QuerySet[EmergencyRefund]) -> None:
        self._each(
            request,
            queryset,
            lambda r, by: refunds.emergency_refund_approve(refund=r, by=by),
            str(_("Approved")),
        )

    @admin.action(description=_("Credit the account"))
    def credit(self, request: HttpRequest, queryset: QuerySet[EmergencyRefund]) -> None:
        self._each(
            request,
            queryset,
            lambda r, by: refunds.emergency_refund_credit(refund=r, by=by),
            str(_("Credited")),
        )
