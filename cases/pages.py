"""What every case page does with a posted step and with a refusal, once for all workflows."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from accounts.http import AuthenticatedRequest
from cases import steps
from cases.errors import CaseError
from cases.forms import StepForm
from cases.models import DocumentKind


def show_refusal(request: HttpRequest, exc: CaseError) -> None:
    """The refusal, then each of its reasons (一次性告知)."""
    messages.error(request, exc.message)
    for reason in exc.reasons:
        if reason != exc.message:
            messages.error(request, reason)


def take_step(request: AuthenticatedRequest, obj: Any, action: str) -> HttpResponse:
    """The declared step `action` a case page posted, back to that page with what happened.
    The service's own guard decides whether this user may take it now."""
    form = StepForm(request.POST, kinds=DocumentKind.choices)
    unconfirmed = _unconfirmed(request, obj, action)
    if unconfirmed is not None:
        return render(
            request,
            "ui/confirm_step.html",
            {
                "case": obj.case,
                "offer": unconfirmed,
                "posted": request.POST,
                "kinds": request.POST.getlist("kinds"),
            },
        )
    try:
        if not form.is_valid():
            raise CaseError(_("Check the note and the amount."), code="invalid")
        step = steps.perform(obj, action, by=request.user, given=form.given())
    except CaseError as exc:
        show_refusal(request, exc)
    except ConcurrentTransition:
        messages.error(request, _("Someone else changed this case meanwhile; please try again."))
    else:
        messages.success(request, str(step.done))
    return HttpResponseRedirect(obj.case.get_absolute_url())


def _unconfirmed(request: AuthenticatedRequest, obj: Any, action: str) -> steps.Offer | None:
    """A step that moves money or cannot be undone, offered to this user, posted without its
    confirmation (the dialog did not run: no script, or a hand-made post): the page that asks,
    showing what will happen. Anything else goes on to the service, which decides."""
    if request.POST.get("confirmed") == "1":
        return None
    for offer in steps.offered(request.user, obj):
        if offer.name == action and (offer.step.moves_money or offer.step.destructive):
            return offer
    return None
