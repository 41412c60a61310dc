"""The dashboard, the deadline forecast and the monthly report: figures of the user's agency
(or of one colleague), never of another agency."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedRequest
from accounts.models import User
from cases import charts, selectors
from cases.dashboard import Board, board_for, kind_label
from cases.dashboard_forms import MemberForm, MonthForm, WhatIfForm
from cases.forecast import PACE_WINDOW, Breach, Forecast
from cases.forecast_inputs import forecast_for_agency
from cases.monthly import monthly_report
from cases.registry import state_label
from cases.workflow import today

# The dashboard shows the forecast's first few; the forecast page has them all.
FORECAST_PREVIEW = 5


def oversees(user: User) -> bool:
    """Supervisors and auditors read the team's figures: each colleague's, the forecast and
    the monthly report. Everyone else on the staff sees the agency's and their own."""
    return selectors.is_staff_member(user) and (
        user.has_perm("cases.sign_off_case") or user.has_perm("audit.view_auditevent")
    )


def _staff_only(user: User) -> int:
    if not selectors.is_staff_member(user) or user.agency_id is None:
        raise Http404
    return user.agency_id


@dataclass(frozen=True)
class BreachRow:
    breach: Breach
    kind_label: str
    state_label: str


def breach_rows(breaches: list[Breach]) -> list[BreachRow]:
    return [BreachRow(b, kind_label(b.case.stage[0]), state_label(*b.case.stage)) for b in breaches]


def _charts(board: Board) -> dict[str, charts.Chart]:
    return {
        "open_chart": charts.horizontal_bars(
            [(f"{row.label}", row.count, str(row.count)) for row in board.open_by_state]
        ),
        "weeks_chart": charts.weekly_pairs(
            [(w.starts_on, w.filed, w.closed) for w in board.weeks],
            (_("Cases filed"), _("Cases closed")),
        ),
        "rates_chart": charts.horizontal_bars(
            [(r.label, 100 * (r.rate or 0), f"{100 * (r.rate or 0):.0f}%") for r in board.rates],
            maximum=100,
            fill=charts.SUCCESS,
        ),
    }


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    agency_id = _staff_only(user)
    colleagues = selectors.colleagues_of(user) if oversees(user) else [(user.pk, _("Me"))]
    form = MemberForm(request.GET or None, colleagues=colleagues)
    member_id = form.member_id()
    member = User.objects.filter(pk=member_id).first() if member_id else None
    board = board_for(agency_id, member=member, with_team=oversees(user))
    preview: Forecast | None = None
    if oversees(user) and member is None:
        preview = forecast_for_agency(agency_id)
    context = {
        "board": board,
        "form": form,
        "member": member,
        "forecast": preview,
        "forecast_preview": breach_rows(preview.breaches[:FORECAST_PREVIEW]) if preview else [],
        "oversees": oversees(user),
        **_charts(board),
    }
    return render(request, "cases/dashboard.html", context)


@login_required
def forecast(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    agency_id = _staff_only(user)
    if not oversees(user):
        raise PermissionDenied
    form = WhatIfForm(request.GET or None, colleagues=selectors.colleagues_of(user))
    what_if = form.what_if()
    result = forecast_for_agency(agency_id, what_if=what_if)
    baseline = forecast_for_agency(agency_id) if what_if.changes_anything else result
    context = {
        "form": form,
        "what_if": what_if,
        "result": result,
        "rows": breach_rows(result.breaches),
        "reassigned": [
            BreachRow(
                Breach(c, 0, None, None, c.due_on or today()),
                kind_label(c.stage[0]),
                state_label(*c.stage),
            )
            for c in result.reassigned
        ],
        "baseline": baseline,
        "window": PACE_WINDOW,
        "absent_name": dict(form.fields["absent"].choices).get(  # type: ignore[attr-defined]
            str(what_if.absent_user_id), ""
        ),
    }
    return render(request, "cases/forecast.html", context)


@login_required
def report(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    agency_id = _staff_only(user)
    if not oversees(user):
        raise PermissionDenied
    form = MonthForm(request.GET or None)
    # The month just ended, unless another is asked for: this one is not over yet.
    first = form.first_day(today().replace(day=1) - datetime.timedelta(days=1))
    report = monthly_report(agency_id, first)
    context = {
        "form": form,
        "report": report,
        "sections": [
            (
                _("By kind"),
                [*report.by_kind, replace(report.total, label=_("All kinds"))],
                _("Kind"),
            ),
            (_("By colleague"), report.by_staff, _("Colleague")),
        ],
        "agency": user.agency,
        "month": f"{first:%Y-%m}",
        "printed_on": today(),
    }
    return render(request, "cases/report.html", context)
