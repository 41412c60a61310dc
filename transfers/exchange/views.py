"""The exchange endpoint a peer posts to, and the staff page of what is waiting or refused."""

from __future__ import annotations

import json
import uuid

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from cases.errors import CaseError
from cases.selectors import is_staff_member
from transfers.exchange import selectors
from transfers.exchange.inbox import inbox_receive
from transfers.exchange.models import InboundMessage, OutboundMessage
from transfers.exchange.outbox import inbox_close, outbox_close, outbox_retry

MAX_BYTES = 1024 * 1024
# The incoming messages the page lists, newest first.
PAGE_ROWS = 200


# A machine endpoint: the peer proves who it is by the agency's seal on every message, not by
# a session or a CSRF token.
@csrf_exempt
@require_POST
def inbox(request: HttpRequest) -> HttpResponse:
    if len(request.body) > MAX_BYTES:
        return JsonResponse({"status": "refused", "reason": "too large"}, status=413)
    try:
        envelope = json.loads(request.body)
    except ValueError:
        return JsonResponse({"status": "refused", "reason": "not JSON"}, status=400)
    if not isinstance(envelope, dict):
        return JsonResponse({"status": "refused", "reason": "not an object"}, status=400)
    answer = inbox_receive(envelope)
    return JsonResponse(answer.as_json(), status=answer.http_status)


def _require_manager(request: AuthenticatedRequest) -> None:
    # Not staff of an agency (an applicant, a system administrator): no such page, as for
    # every staff page; staff who do not sign off are told no.
    if not is_staff_member(request.user):
        raise Http404
    if not rules.has_perm("transfers.manage_exchange", request.user):
        raise PermissionDenied


@login_required
def page(request: AuthenticatedRequest) -> HttpResponse:
    _require_manager(request)
    context = {
        "outbound": selectors.outbound_open(request.user),
        "inbound": selectors.inbound_open(request.user)[:PAGE_ROWS],
    }
    return render(request, "transfers/exchange.html", context)


@login_required
@require_POST
def retry(request: AuthenticatedRequest, message_id: str) -> HttpResponse:
    _require_manager(request)
    row = get_object_or_404(selectors.outbound_open(request.user), pk=message_id)
    try:
        outbox_retry(message=row, by=request.user)
        messages.success(request, _("The message will be sent again."))
    except CaseError as exc:
        messages.error(request, exc.message)
    return redirect("exchange:page")


def _well_formed(direction: str, message_id: str) -> bool:
    """An outgoing message is named by its UUID, an incoming one by its row number."""
    if direction == "in":
        return message_id.isdigit()
    if direction != "out":
        return False
    try:
        uuid.UUID(message_id)
    except ValueError:
        return False
    return True


@login_required
@require_POST
def close(request: AuthenticatedRequest, direction: str, message_id: str) -> HttpResponse:
    _require_manager(request)
    if not _well_formed(direction, message_id):
        raise Http404
    reason = request.POST.get("reason", "")
    try:
        if direction == "out":
            row: OutboundMessage | InboundMessage = get_object_or_404(
                selectors.outbound_open(request.user), pk=message_id
            )
            assert isinstance(row, OutboundMessage)  # noqa: S101 - narrowed for mypy
            outbox_close(message=row, by=request.user, reason=reason)
        else:
            # Another agency's, or no such message: not found either way.
            found = get_object_or_404(selectors.inbound_open(request.user), pk=message_id)
            inbox_close(message=found, by=request.user, reason=reason)
        messages.success(request, _("The message was closed by hand."))
    except CaseError as exc:
        messages.error(request, exc.message)
    return redirect("exchange:page")
