"""The emergency-advance refund (急诊垫付) pages: the applicant's claim, the case page and its
steps."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User
from cases import steps
from cases.errors import CaseError
from cases.pages import take_step
from cases.reveal import Revealable, shown_number
from cases.selectors import case_for, case_page_context, is_staff_member
from withdrawals import refunds, selectors
from withdrawals.forms import RefundForm
from withdrawals.models import EmergencyRefund
from withdrawals.views import person_of


@login_required
@require_http_methods(["GET", "POST"])
def refund_apply(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    account = selectors.open_account_of(person_of(user))
    form = RefundForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if account is None:
            form.add_error(None, _("You have no open personal account."))
        else:
            try:
                refund = refunds.emergency_refund_submit(
                    account=account,
                    amount=form.cleaned_data["amount"],
                    hospital=form.cleaned_data["hospital"],
                    treated_on=form.cleaned_data["treated_on"],
                    receipts=[form.cleaned_data["receipts"]],
                    by=user,
                    applicant=user,
                )
            except CaseError as exc:
                for reason in exc.reasons:
                    form.add_error(None, reason)
            else:
                messages.success(
                    request,
                    _("Your claim %(ref)s was received.") % {"ref": refund.case.reference},
                )
                return redirect(refund.case.get_absolute_url())
    return render(request, "withdrawals/refund_apply.html", {"form": form, "account": account})


def _refund_for(user: User, case_id: int) -> EmergencyRefund:
    case = case_for(user, case_id)
    refund: EmergencyRefund | None = (
        EmergencyRefund.objects.select_related("case__person", "account", "credit_transaction")
        .filter(case=case)
        .first()
    )
    if refund is None:
        raise Http404
    return refund


@login_required
def refund_detail(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    user = request.user
    refund = _refund_for(user, case_id)
    context = case_page_context(user, refund.case)
    context.update(
        {
            "refund": refund,
            "staff": is_staff_member(user),
            "id_number": shown_number(
                request, refund.case, Revealable.ID_NUMBER, refund.case.person.id_number
            ),
            "actions": steps.offered(user, refund),
        }
    )
    return render(request, "withdrawals/refund_detail.html", context)


@login_required
@require_POST
def refund_act(request: AuthenticatedRequest, case_id: int, action: str) -> HttpResponse:
    user = request.user
    refund = _refund_for(user, case_id)
    if action not in steps.declared(EmergencyRefund):
        raise Http404
    return take_step(request, refund, action)
