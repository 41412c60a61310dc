"""Pages of the role work lists that do not fit on the landing page: the supervisor's
escalations and the read-only case search (the auditor's, open to all staff of the agency)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts.http import AuthenticatedRequest
from accounts.idnumbers import normalize_id_number
from cases import queue, selectors, worklists
from cases.forms import CaseSearchForm


@login_required
def escalations(request: AuthenticatedRequest) -> HttpResponse:
    """Open cases escalated to the supervisors because a step went overdue."""
    user = request.user
    if not selectors.is_staff_member(user):
        raise Http404
    if not user.has_perm("cases.sign_off_case"):
        raise PermissionDenied
    page = Paginator(worklists.escalations(user), 25).get_page(request.GET.get("page"))
    rows = queue.rows_for_page(user, page.object_list)
    return render(request, "cases/escalations.html", {"page": page, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def search(request: AuthenticatedRequest) -> HttpResponse:
    """Find any case of the agency, open or closed, by reference, name or ID number; reading
    only. An ID number is asked by POST, so that it never stands in a URL or a log."""
    user = request.user
    if not selectors.is_staff_member(user):
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    form = CaseSearchForm(data or None)
    rows = None
    if form.is_valid():
        text = form.cleaned_data["q"].strip()
        found = selectors.cases_visible_to(user).filter(
            Q(reference__iexact=text)
            | Q(person__name__contains=text)
            | Q(person__id_number=normalize_id_number(text))
        )
        cases = found.select_related(*selectors.QUEUE_RELATED).order_by("-created_at", "-id")
        rows = queue.rows_for_page(user, cases[:50])
    return render(request, "cases/search.html", {"form": form, "rows": rows})
