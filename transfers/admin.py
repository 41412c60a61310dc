"""Transfers in the admin: read-only rows (the state machine and the money move only
through the services), found by a whole ID number or the case reference, with the steps
as actions calling the same services as the case page."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import IdNumberSearchMixin, ReadOnlyAdmin
from accounts.admin_scope import CaseScopedAdmin, masked
from accounts.idnumbers import mask_id_number
from accounts.masking import mask_phone, mask_sensitive
from accounts.models import User
from cases.errors import CaseError
from transfers import services
from transfers.models import BankPayout, CreditMismatch, InfoTable, Transfer

# Case references (ZY + date + 8 digits) are 18 characters long, like ID numbers.
_REFERENCE = re.compile(r"^[A-Z]{2}\d{16}$")


class _TransferRowsAdmin(IdNumberSearchMixin, CaseScopedAdmin, ReadOnlyAdmin):
    # Staff see the transfers of their own agency (either end), as on the case pages.
    case_path = "transfer__case"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip().upper()
        if _REFERENCE.match(term):
            return queryset.filter(**{f"{self.case_path}__reference": term}), False
        return super().get_search_results(request, queryset, search_term)


def _run_each(
    admin_: admin.ModelAdmin[Transfer],
    request: HttpRequest,
    queryset: QuerySet[Transfer],
    step: Callable[[Transfer, User], object],
) -> None:
    """One service call per row, each in its own transaction: one refusal does not undo
    the rows before it, and each refusal is reported with its reason."""
    done = 0
    for transfer in queryset.select_related("case"):
        try:
            with transaction.atomic():
                step(transfer, request.user)  # type: ignore[arg-type]
        except CaseError as exc:
            reasons = "; ".join(exc.reasons)
            admin_.message_user(request, f"{transfer.case.reference}: {reasons}", messages.ERROR)
        else:
            done += 1
    if done:
        admin_.message_user(request, _("%(n)d case(s) moved on.") % {"n": done}, messages.SUCCESS)


@admin.register(Transfer)
class TransferAdmin(_TransferRowsAdmin):
    case_path = "case"
    id_number_path = "case__person__id_number"
    list_display = (
        "reference",
        "person_name",
        "masked_id_number",
        "state",
        "transfer_type",
        "origin_region",
        "destination_region",
        "money_mode",
        "amount_in_transit",
        "applied_on",
    )
    list_filter = ("state", "transfer_type", "money_mode")
    search_fields = ("case__reference",)
    list_select_related = ("case__person", "origin_region", "destination_region")
    exclude = ("contact_phone", "bank_account_number")
    readonly_fields = ("masked_contact_phone", "masked_bank_account_number")
    masked_contact_phone = masked("contact_phone", mask_phone, _("contact phone"))
    masked_bank_account_number = masked(
        "bank_account_number", mask_sensitive, _("bank account number")
    )
    actions = (
        "accept_selected",
        "transfer_out_selected",
        "transfer_in_selected",
        "credit_selected",
        "cancel_selected",
    )

    @admin.display(description=_("reference"), ordering="case__reference")
    def reference(self, obj: Transfer) -> str:
        return obj.case.reference

    @admin.display(description=_("name"))
    def person_name(self, obj: Transfer) -> str:
        return obj.case.person.name

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj: Transfer) -> str:
        return mask_id_number(obj.case.person.id_number)

    @admin.action(description=_("Check and accept"))
    def accept_selected(self, request: HttpRequest, queryset: QuerySet[Transfer]) -> None:
        _run_each(self, request, queryset, lambda t, u: services.transfer_accept(case=t.case, by=u))

    @admin.action(description=_("Transfer out"))
    def transfer_out_selected(self, request: HttpRequest, queryset: QuerySet[Transfer]) -> None:
        _run_each(self, request, queryset, lambda t, u: services.transfer_out(case=t.case, by=u))

    @admin.action(description=_("Transfer in"))
    def transfer_in_selected(self, request: HttpRequest, queryset: QuerySet[Transfer]) -> None:
        _run_each(self, request, queryset, lambda t, u: services.transfer_in(case=t.case, by=u))

    @admin.action(description=_("Credit the amount in transit"))
    def credit_selected(self, request: HttpRequest, queryset: QuerySet[Transfer]) -> None:
        _run_each(
            self,
            request,
            queryset,
            lambda t, u: services.transfer_credit(
                case=t.case, by=u, received_amount=t.amount_in_transit
            ),
        )

    @admin.action(description=_("Cancel the application"))
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Transfer]) -> None:
        _run_each(self, request, queryset, lambda t, u: services.transfer_cancel(case=t.case, by=u))


@admin.register(InfoTable)
class InfoTableAdmin(_TransferRowsAdmin):
    id_number_path = "transfer__case__person__id_number"
    list_display = ("transfer", "verification_code", "key_id", "issued_at", "issued_by")
    search_fields = ("transfer__case__reference", "key_id", "verification_code")
    list_select_related = ("transfer__case", "issued_by")
    # The table certifies the person's full ID number: shown masked like everywhere else.
    exclude = ("content",)
    readonly_fields = ("verification_code", "masked_content")

    @admin.display(description=_("content"))
    def masked_content(self, table: InfoTable) -> str:
        # The certified document as data (JSON, its keys included), not words to translate.
        content = json.dumps(table.content, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html('<pre translate="no">{}</pre>', mask_sensitive(content))


@admin.register(BankPayout)
class BankPayoutAdmin(_TransferRowsAdmin):
    id_number_path = "transfer__case__person__id_number"
    list_display = ("transfer", "amount", "bank_name", "account_name", "paid_on")
    search_fields = ("transfer__case__reference",)
    list_select_related = ("transfer__case",)
    exclude = ("account_number",)
    readonly_fields = ("masked_account_number",)
    masked_account_number = masked("account_number", mask_sensitive, _("bank account number"))


@admin.register(CreditMismatch)
class CreditMismatchAdmin(_TransferRowsAdmin):
    id_number_path = "transfer__case__person__id_number"
    list_display = (
        "transfer",
        "expected_amount",
        "received_amount",
        "resolution",
        "reported_at",
        "resolved_by",
    )
    list_filter = ("resolution",)
    search_fields = ("transfer__case__reference",)
    list_select_related = ("transfer__case", "resolved_by")
