"""What the forecast (`cases.forecast`) works on, read for one agency in two statements: the
open steps with a deadline that this agency acts on, and the steps its staff took out of each
stage over the pace window."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable

from django.db.models import Count, F, Q
from django.utils import timezone

from cases.calendar import WorkingCalendar, current_calendar
from cases.forecast import (
    PACE_WINDOW,
    Forecast,
    QueuedCase,
    Stage,
    StagePace,
    WhatIf,
    forecast,
)
from cases.models import CaseEvent, Deadline, DeadlineStep
from cases.workflow import today

# The destination of a transfer acts on its own limit; every other step is the case's
# agency's. The whole transfer's limit spans both ends: it is no stage of either.
AT_SECOND_AGENCY = (DeadlineStep.TRANSFER_DESTINATION,)
NOT_A_STAGE = (DeadlineStep.TRANSFER_TOTAL,)


def working_day_before(cal: WorkingCalendar, day: datetime.date, n: int) -> datetime.date:
    """The working day n working days before `day` (`day` itself not counted)."""
    while n > 0:
        day -= datetime.timedelta(days=1)
        n -= cal.status(day).working
    return day


def queued_cases(agency_id: int, on: datetime.date, cal: WorkingCalendar) -> list[QueuedCase]:
    """Every open step of the agency with a limit (running or paused), as the forecast
    queues it."""
    acting_here = Q(step__in=AT_SECOND_AGENCY, case__other_agency_id=agency_id) | (
        ~Q(step__in=AT_SECOND_AGENCY) & Q(case__agency_id=agency_id)
    )
    rows = (
        Deadline.objects.filter(
            acting_here,
            status__in=(Deadline.Status.OPEN, Deadline.Status.PAUSED),
            case__closed_at__isnull=True,
        )
        .exclude(step__in=NOT_A_STAGE)
        .values_list(
            "case_id",
            "case__reference",
            "case__kind",
            "case__state",
            "case__created_at",
            "due_on",
            "status",
        )
    )
    left: dict[datetime.date, int] = {}
    queued = []
    for case_id, reference, kind, state, filed_at, due_on, status in rows:
        running = status == Deadline.Status.OPEN
        if running and due_on not in left:
            left[due_on] = cal.working_days_between(on, due_on).days
        queued.append(
            QueuedCase(
                case_id=case_id,
                reference=reference,
                stage=(kind, state),
                filed_at=filed_at,
                due_on=due_on if running else None,
                days_left=left[due_on] if running else None,
            )
        )
    return queued


def stage_paces(agency_id: int, on: datetime.date, cal: WorkingCalendar) -> dict[Stage, StagePace]:
    """Steps the agency's staff took out of each stage in the `PACE_WINDOW` working days
    before `on`, in all and per person."""
    first = working_day_before(cal, on, PACE_WINDOW)
    zone = timezone.get_current_timezone()
    since = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    until = datetime.datetime.combine(on, datetime.time.min, tzinfo=zone)
    rows = (
        CaseEvent.objects.filter(at__gte=since, at__lt=until, actor__agency_id=agency_id)
        .exclude(from_state="")
        .exclude(to_state="")
        .exclude(from_state=F("to_state"))
        .values_list("case__kind", "from_state", "actor_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    done: dict[Stage, int] = defaultdict(int)
    by_staff: dict[Stage, dict[int, int]] = defaultdict(dict)
    for kind, state, actor_id, n in rows:
        done[(kind, state)] += n
        by_staff[(kind, state)][actor_id] = n
    return {stage: StagePace(n, by_staff[stage]) for stage, n in done.items()}


def day_after_for(cal: WorkingCalendar, on: datetime.date) -> Callable[[int], datetime.date]:
    """The date n working days after `on`, as the forecast asks it: the working days after
    `on` are listed once, as far as asked, instead of walking the calendar from `on` for each
    case (a busy agency's queue reaches hundreds of working days ahead)."""
    days = [on]

    def day_after(n: int) -> datetime.date:
        while len(days) <= n:
            days.append(cal.add_working_days(days[-1], 1).date)
        return days[n]

    return day_after


def forecast_for_agency(
    agency_id: int, *, what_if: WhatIf | None = None, on: datetime.date | None = None
) -> Forecast:
    on = on or today()
    cal = current_calendar()
    return forecast(
        queued_cases(agency_id, on, cal),
        stage_paces(agency_id, on, cal),
        what_if=what_if,
        day_after=day_after_for(cal, on),
    )
