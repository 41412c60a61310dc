"""The clearing report page for the supervisors and auditors of an agency."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedRequest
from audit.clearing import clearing_report
from audit.permissions import may_view_clearing


@login_required
@require_GET
def clearing(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    agency = user.agency
    # Like a clerk's desk to a reviewer: a page that is not theirs is not found.
    if agency is None or not may_view_clearing(user):
        raise Http404
    lines = clearing_report(agency=agency)
    findings = [line for line in lines if line.difference != 0]
    return render(
        request, "audit/clearing.html", {"agency": agency, "lines": lines, "findings": findings}
    )
