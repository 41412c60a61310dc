"""The dashboard's figures of each agency, computed every few minutes by the beat
(`cases.refresh_figures`) and stored in `cases.AgencyFigures`: the dashboard, the forecast
and the monthly report read one row instead of aggregating tens of thousands of cases on
every request, so that they cost the same at any volume.

A page that finds no figures, or figures older than `STALE_AFTER` refresh intervals (the
beat is down) or of another day, computes them at once and stores them: a fresh install and
the tests need no beat. Each colleague's board is computed in the same refresh, from the same
statements grouped by assignee as well."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db.models import Count, F, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import Agency
from cases import figures_codec as codec
from cases.calendar import current_calendar
from cases.dashboard import (
    NOT_WORK,
    Board,
    KindRate,
    StaffLoad,
    StateCount,
    Week,
    agency_cases,
    kind_label,
    team_names,
    team_steps,
    week_starts,
)
from cases.forecast import Breach, QueuedCase, Stage, StagePace, forecast
from cases.forecast_inputs import day_after_for, queued_cases, stage_paces
from cases.models import AgencyFigures, Deadline
from cases.monthly import MonthlyReport, monthly_report
from cases.registry import state_label
from cases.workflow import today

# Figures older than this many refresh intervals are computed again by the page that wants
# them: the beat has stopped.
STALE_AFTER = 3
# The dashboard shows the forecast's first few; the forecast page has them all.
FORECAST_PREVIEW = 5


def refresh_seconds() -> int:
    return int(settings.FIGURES_REFRESH_SECONDS)


@dataclass
class _Tally:
    """One board's counts while the grouped rows are read (the agency's, or one assignee's)."""

    open: Counter[tuple[str, str]] = field(default_factory=Counter)
    due_soon: int = 0
    overdue: int = 0
    filed: Counter[datetime.date] = field(default_factory=Counter)
    closed: Counter[datetime.date] = field(default_factory=Counter)
    met: Counter[str] = field(default_factory=Counter)
    on_time: Counter[str] = field(default_factory=Counter)

    def board(self, on: datetime.date, team: list[StaffLoad]) -> Board:
        open_rows = [
            StateCount(k, kind_label(k), s, state_label(k, s), n) for (k, s), n in self.open.items()
        ]
        return Board(
            open_by_state=sorted(open_rows, key=lambda r: (r.kind, -r.count, r.state)),
            weeks=[Week(d, self.filed[d], self.closed[d]) for d in week_starts(on)],
            rates=[
                KindRate(k, kind_label(k), self.met[k], self.on_time[k]) for k in sorted(self.met)
            ],
            due_soon=self.due_soon,
            overdue=self.overdue,
            team=team,
        )


def _tallies(agency_id: int, on: datetime.date) -> dict[int | None, _Tally]:
    """Every board figure of the agency's cases grouped by assignee (None: unassigned), in
    four statements; the agency's board is their sum."""
    tally: dict[int | None, _Tally] = defaultdict(_Tally)
    cases = agency_cases(agency_id).order_by()
    open_rows = (
        cases.filter(closed_at__isnull=True)
        .exclude(NOT_WORK)
        .values_list("assignee_id", "kind", "state")
        .annotate(
            n=Count("id"),
            soon=Count("id", filter=Q(due_on__gte=on, due_on__lte=on + datetime.timedelta(days=3))),
            late=Count("id", filter=Q(due_on__lt=on)),
        )
    )
    for assignee, kind, state, n, soon, late in open_rows:
        t = tally[assignee]
        t.open[(kind, state)] += n
        t.due_soon += soon
        t.overdue += late
    first = week_starts(on)[0]
    zone = timezone.get_current_timezone()
    since = datetime.datetime.combine(first, datetime.time.min, zone)
    for name in ("created_at", "closed_at"):
        rows = (
            cases.filter(**{f"{name}__gte": since})
            .annotate(week=TruncWeek(name, tzinfo=zone))
            .values_list("assignee_id", "week")
            .annotate(n=Count("id"))
        )
        for assignee, week, n in rows:
            target = tally[assignee].filed if name == "created_at" else tally[assignee].closed
            target[week.date()] += n
    met = Deadline.objects.filter(
        case__in=cases, status=Deadline.Status.MET, met_at__date__gte=first
    )
    rate_rows = (
        met.values_list("case__assignee_id", "case__kind")
        .annotate(n=Count("id"), on_time=Count("id", filter=Q(met_at__date__lte=F("due_on"))))
        .order_by()
    )
    for assignee, kind, n, on_time in rate_rows:
        tally[assignee].met[kind] += n
        tally[assignee].on_time[kind] += on_time
    return tally


def _total(tallies: dict[int | None, _Tally]) -> _Tally:
    total = _Tally()
    for t in tallies.values():
        total.open.update(t.open)
        total.due_soon += t.due_soon
        total.overdue += t.overdue
        total.filed.update(t.filed)
        total.closed.update(t.closed)
        total.met.update(t.met)
        total.on_time.update(t.on_time)
    return total


def compute_boards(agency_id: int, on: datetime.date) -> tuple[Board, dict[int, Board]]:
    """The agency's board with the team's load, and each assignee's board."""
    tallies = _tallies(agency_id, on)
    names = team_names(agency_id)
    steps = team_steps(names)
    team = [
        StaffLoad(
            pk,
            name,
            sum(tallies[pk].open.values()) if pk in tallies else 0,
            tallies[pk].overdue if pk in tallies else 0,
            steps.get(pk, 0),
        )
        for pk, name in sorted(names.items(), key=lambda item: item[1])
    ]
    members = {pk: t.board(on, []) for pk, t in tallies.items() if pk is not None}
    return _total(tallies).board(on, team), members


def month_firsts(on: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first days of this month and of the previous one (the report's default)."""
    this = on.replace(day=1)
    return this, (this - datetime.timedelta(days=1)).replace(day=1)


def figures_refresh(*, agency_id: int) -> AgencyFigures:
    """Compute the agency's figures and store them over the previous ones."""
    on = today()
    computed_at = timezone.now()
    cal = current_calendar()
    board, members = compute_boards(agency_id, on)
    queued = queued_cases(agency_id, on, cal)
    paces = stage_paces(agency_id, on, cal)
    baseline = forecast(queued, paces, day_after=day_after_for(cal, on)).breaches
    board_data = {
        **codec.board_json(board),
        "members": {str(pk): codec.board_json(b) for pk, b in members.items()},
        "breaches": len(baseline),
        "preview": [codec.breach_json(b) for b in baseline[:FORECAST_PREVIEW]],
    }
    row, _ = AgencyFigures.objects.update_or_create(
        agency_id=agency_id,
        defaults={
            "computed_at": computed_at,
            "on": on,
            "board": board_data,
            "forecast": {
                "queue": codec.queue_json(queued),
                "paces": codec.paces_json(paces),
            },
            "reports": {
                first.isoformat(): codec.report_json(monthly_report(agency_id, first))
                for first in month_firsts(on)
            },
        },
    )
    return row


def figures_refresh_all() -> int:
    """Refresh every agency's figures, one agency at a time (each its own statement to
    write); returns how many."""
    ids = list(Agency.objects.order_by("pk").values_list("pk", flat=True))
    for agency_id in ids:
        figures_refresh(agency_id=agency_id)
    return len(ids)


def is_stale(row: AgencyFigures) -> bool:
    too_old = timezone.now() - datetime.timedelta(seconds=STALE_AFTER * refresh_seconds())
    return row.on != today() or row.computed_at < too_old


def figures_current(agency_id: int, *parts: str) -> AgencyFigures:
    """The agency's stored figures with `parts` ("board", "forecast", "reports") read,
    computed now when there are none or they are stale."""
    row = (
        AgencyFigures.objects.filter(agency_id=agency_id)
        .only("agency_id", "computed_at", "on", *parts)
        .first()
    )
    if row is None or is_stale(row):
        row = figures_refresh(agency_id=agency_id)
    return row


def board_of(row: AgencyFigures, member_id: int | None, *, with_team: bool) -> Board:
    data = row.board
    if member_id is None:
        board = codec.board_from(data)
        return board if with_team else replace(board, team=[])
    empty = codec.board_json(_Tally().board(row.on, []))
    return codec.board_from(data["members"].get(str(member_id), empty))


def baseline_of(row: AgencyFigures) -> tuple[int, list[Breach]]:
    """How many cases the forecast without what-if finds, and the first of them."""
    return row.board["breaches"], [codec.breach_from(b) for b in row.board["preview"]]


def forecast_inputs_of(row: AgencyFigures) -> tuple[list[QueuedCase], dict[Stage, StagePace]]:
    data = row.forecast
    return codec.queue_from(data["queue"]), codec.paces_from(data["paces"])


def report_of(row: AgencyFigures, first: datetime.date) -> MonthlyReport | None:
    data = row.reports.get(first.isoformat())
    return codec.report_from(data) if data is not None else None
