"""Family pool in the administration site. Rows change only through the services: every
action below calls the same service as the staff pages and the API, and a refusal becomes a
message naming the row, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin import ReadOnlyAdmin
from accounts.admin_scope import CaseScopedAdmin, PersonScopedAdmin, RegionScopedAdmin, masked
from accounts.http import AuthenticatedRequest
from accounts.idnumbers import mask_id_number
from accounts.models import User
from cases.errors import CaseError
from family_pool import services
from family_pool.charging.cards import card_deactivate, card_issue
from family_pool.charging.flags import flag_review
from family_pool.charging.institutions import institution_issue_key
from family_pool.charging.refunds import charge_refund
from family_pool.models import (
    Binding,
    Charge,
    ChargePart,
    FlaggedCharge,
    Institution,
    InsuranceCard,
)


def _user(request: HttpRequest) -> User:
    # The admin site lets only signed-in staff in; its actions get Django's plain request.
    return cast(AuthenticatedRequest, request).user


def _each(
    request: HttpRequest, rows: QuerySet[Any], step: Callable[[Any], object], done: str
) -> None:
    """Run the service on each selected row; report what worked and what was refused."""
    ok = 0
    for row in rows:
        try:
            step(row)
        except CaseError as exc:
            messages.error(request, f"{row}: {' '.join(exc.reasons)}")
        else:
            ok += 1
    if ok:
        messages.success(request, done % {"count": ok})


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason or note"), widget=forms.Textarea, max_length=1000
    )


def _with_reason(
    request: HttpRequest,
    rows: QuerySet[Any],
    action: str,
    title: str,
) -> str | HttpResponse:
    """An action that needs a reason: first show a form, then return the reason."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        reason: str = form.cleaned_data["reason"]
        return reason
    return render(
        request,
        "family_pool/admin_reason.html",
        {
            "title": title,
            "rows": rows,
            "form": form,
            "action": action,
            "checkbox": ACTION_CHECKBOX_NAME,
            "opts": rows.model._meta,
        },
    )


def _each_with_reason(
    request: HttpRequest,
    rows: QuerySet[Any],
    action: str,
    title: str,
    step: Callable[[Any, User, str], object],
    done: str,
) -> HttpResponse | None:
    """Ask for the reason (the form is the response), then run the service on each row."""
    reason = _with_reason(request, rows, action, title)
    if not isinstance(reason, str):
        return reason
    by = _user(request)
    _each(request, rows, lambda row: step(row, by, reason), done)
    return None


@admin.register(Binding)
class BindingAdmin(CaseScopedAdmin, ReadOnlyAdmin):
    list_display = ("case", "holder", "relative", "relation", "state", "quota", "spent")
    list_filter = ("state", "relation", "initiated_by")
    search_fields = ("case__reference", "=holder__id_number", "=relative__id_number")
    list_select_related = ("case", "holder", "relative")
    exclude = ("holder_account",)
    actions = ("approve", "reject", "end")

    def has_process_permission(self, request: HttpRequest) -> bool:
        return _user(request).has_perm("cases.process_case")

    @admin.action(
        description=gettext_lazy("Approve the selected bindings"), permissions=["process"]
    )
    def approve(self, request: HttpRequest, rows: QuerySet[Binding]) -> None:
        by = _user(request)
        _each(
            request,
            rows,
            lambda b: services.binding_approve(binding=b, by=by),
            _("%(count)d binding(s) approved."),
        )

    @admin.action(description=gettext_lazy("Reject the selected bindings"), permissions=["process"])
    def reject(self, request: HttpRequest, rows: QuerySet[Binding]) -> HttpResponse | None:
        return _each_with_reason(
            request,
            rows,
            "reject",
            _("Reject bindings"),
            lambda b, by, reason: services.binding_reject(binding=b, by=by, reason=reason),
            _("%(count)d binding(s) rejected."),
        )

    @admin.action(description=gettext_lazy("End the selected bindings"), permissions=["process"])
    def end(self, request: HttpRequest, rows: QuerySet[Binding]) -> HttpResponse | None:
        return _each_with_reason(
            request,
            rows,
            "end",
            _("End bindings"),
            lambda b, by, reason: services.binding_end(binding=b, by=by, reason=reason),
            _("%(count)d binding(s) ended."),
        )


@admin.register(Institution)
class InstitutionAdmin(RegionScopedAdmin):
    list_display = ("code", "name", "kind", "region", "active", "api_key_prefix")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")
    raw_id_fields = ("region",)
    fields = ("code", "name", "kind", "region", "active", "api_key_prefix", "api_key_issued_at")
    readonly_fields = ("api_key_prefix", "api_key_issued_at")
    actions = ("issue_key",)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(
        description=gettext_lazy("Issue a new API key (shown once)"), permissions=["change"]
    )
    def issue_key(self, request: HttpRequest, rows: QuerySet[Institution]) -> None:
        for institution in rows:
            key = institution_issue_key(institution=institution)
            # Shown this once only: the database keeps its hash. The old key stops working.
            messages.warning(
                request,
                _("New API key for %(institution)s: %(key)s — copy it now, it is not shown again.")
                % {"institution": institution, "key": key},
            )


class CardForm(forms.ModelForm):  # type: ignore[type-arg]
    number = forms.CharField(
        label=gettext_lazy("card number"),
        max_length=30,
        required=False,
        help_text=gettext_lazy("Leave empty to have a number made up."),
    )

    class Meta:
        model = InsuranceCard
        fields = ("person", "number")


@admin.register(InsuranceCard)
class InsuranceCardAdmin(PersonScopedAdmin):
    form = CardForm
    list_display = ("number", "person", "active", "issued_at")
    list_filter = ("active",)
    search_fields = ("number", "=person__id_number", "person__name")
    raw_id_fields = ("person",)
    list_select_related = ("person",)
    actions = ("deactivate",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("person", "number", "active") if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: InsuranceCard, form: Any, change: bool) -> None:
        if change:
            return  # nothing is editable; deactivation is an action
        issued = card_issue(person=obj.person, number=obj.number or "")
        obj.pk, obj.number, obj.issued_at = issued.pk, issued.number, issued.issued_at

    @admin.action(description=gettext_lazy("Deactivate the selected cards"), permissions=["change"])
    def deactivate(self, request: HttpRequest, rows: QuerySet[InsuranceCard]) -> None:
        _each(
            request,
            rows,
            lambda card: card_deactivate(card=card),
            _("%(count)d card(s) deactivated."),
        )


class ChargePartInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ChargePart
    extra = 0
    can_delete = False
    fields = (
        "position",
        "account",
        "binding",
        "amount",
        "ledger_transaction",
        "refund_transaction",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Charge)
class ChargeAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    region_path = "institution__region"
    list_display = (
        "created_at",
        "institution",
        "settlement_number",
        "patient",
        "category",
        "amount",
        "status",
    )
    list_filter = ("status", "category")
    search_fields = ("settlement_number", "refund_number", "=patient__id_number")
    list_select_related = ("institution", "patient")
    exclude = ("card",)
    inlines = (ChargePartInline,)
    actions = ("refund",)

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return _user(request).is_superuser

    @admin.action(
        description=gettext_lazy("Refund the selected charges in full"), permissions=["refund"]
    )
    def refund(self, request: HttpRequest, rows: QuerySet[Charge]) -> None:
        _each(
            request,
            rows.select_related("institution"),
            lambda c: charge_refund(
                institution=c.institution,
                settlement_number=c.settlement_number,
                refund_number=f"ADMIN-{c.pk}",
            ),
            _("%(count)d charge(s) refunded."),
        )


@admin.register(FlaggedCharge)
class FlaggedChargeAdmin(RegionScopedAdmin, ReadOnlyAdmin):
    region_path = "institution__region"
    list_display = (
        "created_at",
        "institution",
        "settlement_number",
        "reason",
        "card",
        "amount",
        "reviewed_at",
    )
    list_filter = ("reason", "reviewed_at")
    search_fields = ("settlement_number", "card__number", "=patient__id_number")
    list_select_related = ("institution", "card")
    exclude = ("patient_id_number",)
    readonly_fields = ("masked_patient_id_number",)
    actions = ("review",)

    masked_patient_id_number = masked(
        "patient_id_number", mask_id_number, gettext_lazy("patient's ID number as given")
    )

    def has_review_permission(self, request: HttpRequest) -> bool:
        return _user(request).has_perm("family_pool.review_flaggedcharge")

    @admin.action(description=gettext_lazy("Mark as reviewed"), permissions=["review"])
    def review(self, request: HttpRequest, rows: QuerySet[FlaggedCharge]) -> HttpResponse | None:
        note = _with_reason(request, rows, "review", _("Review flagged charges"))
        if not isinstance(note, str):
            return note
        by = _user(request)
        _each(
            request,
            rows,
            lambda f: flag_review(flag=f, by=by, note=note),
            _("%(count)d flag(s) reviewed."),
        )
        return None
