"""The staff work queue: its lists, sorting and filters, the supervisor's bulk assignment,
and its exports (CSV and Excel)."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from accounts.http import AuthenticatedRequest, safe_next
from accounts.idnumbers import mask_id_number
from accounts.models import User
from audit.services import audit_record
from cases import queue, selectors
from cases.assignment import case_assign
from cases.errors import CaseError
from cases.forms import BulkAssignForm, QueueFilterForm
from cases.reveal import may_reveal

COLUMNS = (
    ("reference", gettext_lazy("Reference")),
    ("kind", gettext_lazy("Kind")),
    ("person", gettext_lazy("Insured person")),
    ("state", gettext_lazy("State")),
    ("days", gettext_lazy("Working days left")),
    ("assignee", gettext_lazy("Assigned to")),
    ("filed", gettext_lazy("Filed at")),
)


def _require_staff(user: User) -> None:
    if not selectors.is_staff_member(user):
        raise Http404


def _which(request: AuthenticatedRequest) -> str:
    which = request.GET.get("list", queue.QueueList.TEAM)
    return which if which in dict(queue.LISTS) else queue.QueueList.TEAM


def _filters(request: AuthenticatedRequest, user: User) -> tuple[QueueFilterForm, dict[str, Any]]:
    form = QueueFilterForm(
        request.GET or None,
        colleagues=selectors.colleagues_of(user),
        states=queue.state_choices(),
    )
    return form, form.filters()


@login_required
def queue_page(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    _require_staff(user)
    form, filters = _filters(request, user)
    which, sort = _which(request), request.GET.get("sort", queue.DEFAULT_SORT)
    rows = queue.queue_rows(user, which=which, sort=sort, filters=filters)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": queue.rows_for_page(user, page.object_list),
        "lists": [(key, label, _link(request, list=key, page=None)) for key, label in queue.LISTS],
        "which": which,
        "headers": _headers(request, sort),
        "can_assign": user.has_perm("cases.sign_off_case") and which != queue.QueueList.ELSEWHERE,
        "assign_form": BulkAssignForm(colleagues=selectors.colleagues_of(user)),
        "can_export": user.has_perm("accounts.export_personal_data"),
        "export_query": _query(request, page=None, full_ids=None),
        "can_export_full": may_reveal(user),
    }
    return render(request, "cases/queue.html", context)


def _query(request: AuthenticatedRequest, **changes: str | None) -> str:
    params = {k: v for k, v in request.GET.items() if v}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return urlencode(params)


def _link(request: AuthenticatedRequest, **changes: str | None) -> str:
    return f"{request.path}?{_query(request, **changes)}"


def _headers(request: AuthenticatedRequest, sort: str) -> list[dict[str, Any]]:
    """Each column with the link that sorts by it (a second click reverses the order)."""
    current, descending = sort.lstrip("-"), sort.startswith("-")
    headers = []
    for key, label in COLUMNS:
        active = key == current
        target = f"-{key}" if active and not descending else key
        headers.append(
            {
                "key": key,
                "label": label,
                "url": _link(request, sort=target, page=None),
                "order": ("descending" if descending else "ascending") if active else "none",
            }
        )
    return headers


@login_required
@require_POST
def bulk_assign(request: AuthenticatedRequest) -> HttpResponse:
    """A supervisor gives the ticked cases to one colleague; each goes through `case_assign`,
    which refuses what it must (another agency's staff, a case of another agency)."""
    user = request.user
    _require_staff(user)
    if not user.has_perm("cases.sign_off_case"):
        raise PermissionDenied
    back = _back(request)
    form = BulkAssignForm(request.POST, colleagues=selectors.colleagues_of(user))
    ids = [int(raw) for raw in request.POST.getlist("cases") if raw.isdigit()]
    if not form.is_valid() or not ids:
        messages.error(request, _("Tick the cases and choose a colleague."))
        return HttpResponseRedirect(back)
    raw = form.cleaned_data["assignee"]
    target = User.objects.filter(pk=int(raw)).first() if raw else None
    done, refused = 0, []
    for case_id in ids:
        case = selectors.case_for(user, case_id)
        try:
            with transaction.atomic():
                case_assign(case=case, assignee=target, by=user)
        except CaseError as exc:
            refused.append(f"{case.reference}: {exc.message}")
        else:
            done += 1
    if done:
        messages.success(request, _("%(n)d cases were assigned.") % {"n": done})
    for line in refused:
        messages.error(request, line)
    return HttpResponseRedirect(back)


def _back(request: AuthenticatedRequest) -> str:
    return safe_next(request, request.POST.get("next", ""), reverse("cases:queue"))


# An export is a list for follow-up work, not a data dump.
EXPORT_LIMIT = 5000


def _export_rows(request: AuthenticatedRequest) -> tuple[list[str], list[list[str]]]:
    user = request.user
    _require_staff(user)
    if not user.has_perm("accounts.export_personal_data"):
        raise PermissionDenied
    _form, filters = _filters(request, user)
    which = _which(request)
    cases = queue.queue_rows(
        user, which=which, sort=request.GET.get("sort", queue.DEFAULT_SORT), filters=filters
    )[:EXPORT_LIMIT]
    # Full numbers only for staff who may reveal them, and only when they ask: the audit row
    # says so, as the case page's logged reveal does for one number.
    full_ids = may_reveal(user) and request.GET.get("full_ids") == "1"
    audit_record(
        action="export",
        user=user,
        request=request,
        object_repr="work queue",
        detail={**filters, "list": which, "full_id_numbers": full_ids},
    )
    header = [
        _("Reference"),
        _("Kind"),
        _("State"),
        _("Insured person"),
        _("ID number"),
        _("Assigned to"),
        _("Due on"),
        _("Working days left"),
        _("Filed at"),
    ]
    lines = []
    for row in queue.rows_for_page(user, cases):
        case = row.case
        number = case.person.id_number
        lines.append(
            [
                case.reference,
                case.get_kind_display(),
                row.state_label,
                case.person.name,
                number if full_ids else mask_id_number(number),
                row.holder_name,
                case.due_on.isoformat() if case.due_on else "",
                "" if row.days_left is None else str(row.days_left),
                timezone.localtime(case.created_at).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    return header, lines


def _private(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def export(request: AuthenticatedRequest) -> HttpResponse:
    """The queue as CSV, for staff who may export personal data; logged. ID numbers are masked
    unless the user may see them in full (`cases.reveal.may_reveal`) and asks for them."""
    header, lines = _export_rows(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.write("\ufeff")  # so that spreadsheet programs read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(lines)
    return _private(response, "cases.csv")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def export_xlsx(request: AuthenticatedRequest) -> HttpResponse:
    """The same list as an Excel workbook."""
    header, lines = _export_rows(request)
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook has its one sheet
    sheet.title = _("Work queue")[:31]
    sheet.append(header)
    for line in lines:
        sheet.append(line)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return _private(HttpResponse(out.getvalue(), content_type=XLSX), "cases.xlsx")
