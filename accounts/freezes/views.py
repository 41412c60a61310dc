"""The supervisor's page of an account's freezes: the records, a form to freeze, a form to
lift each active freeze. Staff of the account's agency see the page; only its supervisors
get the forms (and only they pass the services' check)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.errors import AccountsError
from accounts.freezes import services
from accounts.freezes.forms import FreezeForm, UnfreezeForm
from accounts.freezes.models import AccountFreeze
from accounts.freezes.permissions import may_freeze, of_account_agency
from accounts.http import AuthenticatedRequest
from accounts.models import PersonalAccount
from cases.selectors import is_staff_member


def _account_for_staff(request: AuthenticatedRequest, account_id: int) -> PersonalAccount:
    account = get_object_or_404(
        PersonalAccount.objects.select_related("person", "enrollment__region"), pk=account_id
    )
    if not (is_staff_member(request.user) and of_account_agency(request.user, account)):
        raise Http404
    return account


def _page(
    request: AuthenticatedRequest,
    account: PersonalAccount,
    form: FreezeForm | None = None,
    lift_forms: dict[int, UnfreezeForm] | None = None,
) -> HttpResponse:
    freezes = list(
        AccountFreeze.objects.filter(account=account).select_related(
            "document", "set_by", "lifted_by", "lift_document"
        )
    )
    lift_forms = lift_forms or {}
    context = {
        "account": account,
        "can_freeze": may_freeze(request.user, account),
        "form": form or FreezeForm(),
        "active": [(f, lift_forms.get(f.pk) or UnfreezeForm()) for f in freezes if f.is_active],
        "lifted": [f for f in freezes if not f.is_active],
    }
    return render(request, "accounts/freezes.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def freezes(request: AuthenticatedRequest, account_id: int) -> HttpResponse:
    account = _account_for_staff(request, account_id)
    if request.method != "POST":
        return _page(request, account)
    form = FreezeForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.account_freeze(account=account, by=request.user, **form.cleaned_data)
        except AccountsError as exc:
            # A message, not a form error: a clerk, who is refused, is shown no form.
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The account is frozen."))
            return redirect("accounts:freezes", account_id=account.pk)
    return _page(request, account, form=form)


@login_required
@require_POST
def unfreeze(request: AuthenticatedRequest, freeze_id: int) -> HttpResponse:
    freeze = get_object_or_404(AccountFreeze, pk=freeze_id)
    account = _account_for_staff(request, freeze.account_id)
    form = UnfreezeForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.account_unfreeze(freeze=freeze, by=request.user, **form.cleaned_data)
        except AccountsError as exc:
            # A message, not a form error: a clerk, who is refused, is shown no form.
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The freeze is lifted."))
            return redirect("accounts:freezes", account_id=account.pk)
    return _page(request, account, lift_forms={freeze.pk: form})
