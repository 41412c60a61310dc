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
from collections.abc import Sequence
from dataclasses import replace

from django.conf import settings
from django.utils import timezone

from accounts.models import Agency
from cases import figures_codec as codec
from cases.calendar import current_calendar
from cases.dashboard import (
    Board,
    StaffLoad,
    team_names,
    team_steps,
)
from cases.figures_batch import Tally, reports, tallies
from cases.forecast import Breach, QueuedCase, Stage, StagePace, forecast
from cases.forecast_inputs import day_after_for, queued_cases, stage_paces
from cases.models import AgencyFigures
from cases.monthly import MonthlyReport
from cases.workflow import today

# Figures older than this many refresh intervals are computed again by the page that wants
# them: the beat has stopped.
STALE_AFTER = 3
# The dashboard shows the forecast's first few; the forecast page has them all.
FORECAST_PREVIEW = 5


def refresh_seconds() -> int:
    return int(settings.FIGURES_REFRESH_SECONDS)


def compute_boards(
    agency_id: int, tallies: dict[int | None, Tally], on: datetime.date
) -> tuple[Board, dict[int, Board]]:
    """The agency's board with the team's load, and each assignee's board, from the agency's
    counts by assignee."""
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
    total = Tally()
    for t in tallies.values():
        total.add(t)
    return total.board(on, team), members


def month_firsts(on: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first days of this month and of the previous one (the report's default)."""
    this = on.replace(day=1)
    return this, (this - datetime.timedelta(days=1)).replace(day=1)


def figures_refresh_many(agency_ids: Sequence[int]) -> dict[int, AgencyFigures]:
    """Compute the agencies' figures and store them over the previous ones. The board's
    counts and the monthly reports are read for all the agencies at once; the forecast's
    inputs and the team, agency by agency (each reads only its own rows by index)."""
    on = today()
    computed_at = timezone.now()
    cal = current_calendar()
    counts = tallies(agency_ids, on)
    month_reports = reports(agency_ids, month_firsts(on))
    stored = {}
    for agency_id in agency_ids:
        board, members = compute_boards(agency_id, counts[agency_id], on)
        queued = queued_cases(agency_id, on, cal)
        paces = stage_paces(agency_id, on, cal)
        baseline = forecast(queued, paces, day_after=day_after_for(cal, on)).breaches
        board_data = {
            **codec.board_json(board),
            "members": {str(pk): codec.board_json(b) for pk, b in members.items()},
            "breaches": len(baseline),
            "preview": [codec.breach_json(b) for b in baseline[:FORECAST_PREVIEW]],
        }
        stored[agency_id], _ = AgencyFigures.objects.update_or_create(
            agency_id=agency_id,
            defaults={
                "computed_at": computed_at,
                "on": on,
                "board": board_data,
                "forecast": {"queue": codec.queue_json(queued), "paces": codec.paces_json(paces)},
                "reports": {
                    first.isoformat(): codec.report_json(report)
                    for first, report in month_reports[agency_id].items()
                },
            },
        )
    return stored


def figures_refresh(*, agency_id: int) -> AgencyFigures:
    """Compute the agency's figures and store them over the previous ones."""
    return figures_refresh_many([agency_id])[agency_id]


def figures_refresh_all() -> int:
    """Refresh every agency's figures; returns how many."""
    ids = list(Agency.objects.order_by("pk").values_list("pk", flat=True))
    figures_refresh_many(ids)
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
    empty = codec.board_json(Tally().board(row.on, []))
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
