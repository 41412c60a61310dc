"""The dashboard, the deadline forecast and the monthly report: figures of the user's agency
(or of one colleague), never of another agency."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedRequest
from accounts.models import User
from cases import charts, selectors
from cases.calendar import current_calendar
from cases.dashboard import Board
from cases.dashboard_forms import MemberForm, MonthForm, WhatIfForm
from cases.figures import (
    baseline_of,
    board_of,
    figures_current,
    forecast_inputs_of,
    month_firsts,
    refresh_seconds,
    report_of,
)
from cases.forecast import PACE_WINDOW, Breach
from cases.forecast import forecast as run_forecast
from cases.forecast_inputs import day_after_for
from cases.models import AgencyFigures
from cases.monthly import monthly_report
from cases.registry import kind_label, state_label
from cases.workflow import today

# The forecast page lists this many cases a page (a busy agency's list runs to thousands).
FORECAST_PAGE = 50


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


@dataclass(frozen=True)
class AsOf:
    """When the figures shown were computed, and how often they are."""

    at: datetime.datetime
    minutes: int


def _as_of(row: AgencyFigures) -> AsOf:
    return AsOf(row.computed_at, max(1, refresh_seconds() // 60))


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    agency_id = _staff_only(user)
    sees_team = oversees(user)
    colleagues = selectors.colleagues_of(user) if sees_team else [(user.pk, _("Me"))]
    form = MemberForm(request.GET or None, colleagues=colleagues)
    member_id = form.member_id()
    member = User.objects.filter(pk=member_id).first() if member_id else None
    figures = figures_current(agency_id, "board")
    board = board_of(figures, member.pk if member else None, with_team=sees_team)
    breaches, preview = baseline_of(figures) if sees_team and member is None else (None, [])
    context = {
        "board": board,
        "form": form,
        "member": member,
        "forecast_count": breaches,
        "forecast_preview": breach_rows(preview),
        "oversees": sees_team,
        "as_of": _as_of(figures),
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
    figures = figures_current(agency_id, "board", "forecast")
    queued, paces = forecast_inputs_of(figures)
    day_after = day_after_for(current_calendar(), figures.on)
    result = run_forecast(queued, paces, what_if=what_if, day_after=day_after)
    baseline, _preview = baseline_of(figures)
    page = Paginator(result.breaches, FORECAST_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "what_if": what_if,
        "result": result,
        "count": len(result.breaches),
        "baseline_count": baseline if what_if.changes_anything else len(result.breaches),
        "rows": breach_rows(list(page.object_list)),
        "page": page,
        "reassigned": [
            BreachRow(
                Breach(c, 0, None, None, c.due_on or today()),
                kind_label(c.stage[0]),
                state_label(*c.stage),
            )
            for c in result.reassigned
        ],
        "window": PACE_WINDOW,
        "absent_name": dict(form.fields["absent"].choices).get(  # type: ignore[attr-defined]
            str(what_if.absent_user_id), ""
        ),
        "as_of": _as_of(figures),
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
    as_of = None
    if first in month_firsts(today()):
        figures = figures_current(agency_id, "reports")
        report = report_of(figures, first) or monthly_report(agency_id, first)
        as_of = _as_of(figures)
    else:
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
        "as_of": as_of,
    }
    return render(request, "cases/report.html", context)
