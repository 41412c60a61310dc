"""The clock of each step of a case: started, paused for documents (补件), resumed, closed,
recomputed after a calendar edit; and the reminder schedule that the sweep
(`cases.reminders`) follows."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.policy import policy_for
from cases.calendar import WorkingCalendar
from cases.history import case_record
from cases.models import Case, Deadline, DeadlineReminder
from cases.workflow import today

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from accounts.models import Agency, User


@dataclass(frozen=True)
class Reminder:
    kind: DeadlineReminder.Kind
    # The day it comes due, in days after the limit; None for the reminder ahead of the
    # limit, which goes a number of working days before it set by region policy.
    days_after_due: int | None
    # Who is told: the step's clerks and reviewers, or its supervisors.
    groups: tuple[str, ...]
    subject: _StrPromise
    body: _StrPromise


# Every deadline's reminders, in the order they come due: a later one supersedes an earlier
# one that was not told yet. The sweep's SQL and the fan-out take kinds and order from here.
REMINDER_SCHEDULE: tuple[Reminder, ...] = (
    Reminder(
        DeadlineReminder.Kind.BEFORE,
        None,
        ("clerk", "reviewer"),
        gettext_lazy("Deadline approaching: %(ref)s"),
        gettext_lazy("Case %(ref)s: “%(step)s” is due on %(date)s."),
    ),
    Reminder(
        DeadlineReminder.Kind.DUE,
        0,
        ("clerk", "reviewer"),
        gettext_lazy("Due today: %(ref)s"),
        gettext_lazy("Case %(ref)s: “%(step)s” is due today (%(date)s)."),
    ),
    Reminder(
        DeadlineReminder.Kind.OVERDUE,
        1,
        ("supervisor",),
        gettext_lazy("Overdue: %(ref)s"),
        gettext_lazy("Case %(ref)s: “%(step)s” was due on %(date)s and is overdue."),
    ),
)


def _remind_on(cal: WorkingCalendar, due: datetime.date, days_before: int) -> datetime.date:
    """The working day `days_before` working days before `due` (due itself for 0)."""
    day, left = due, days_before
    while left > 0:
        day -= datetime.timedelta(days=1)
        if cal.status(day).working:
            left -= 1
    return day


def _next_sweep(deadline: Deadline, cal: WorkingCalendar, days_before: int) -> datetime.date | None:
    """The first day on which the sweep has something to send for this deadline."""
    sent = set(deadline.reminders.values_list("kind", flat=True)) if deadline.pk else set()
    pending = [
        _remind_on(cal, deadline.due_on, days_before)
        if reminder.days_after_due is None
        else deadline.due_on + datetime.timedelta(days=reminder.days_after_due)
        for reminder in REMINDER_SCHEDULE
        if reminder.kind not in sent
    ]
    return min(pending) if pending else None


def step_agencies(case: Case, step: str) -> list[Agency]:
    """The agencies whose clock this is: a transfer's steps belong to one end each."""
    if step == "transfer_destination" and case.other_agency is not None:
        return [case.other_agency]
    if step in ("transfer_origin", "intake"):
        return [case.agency]
    return [a for a in (case.agency, case.other_agency) if a is not None]


def _reminder_days(deadline: Deadline) -> int:
    """How many working days before the limit the first reminder goes, by region policy."""
    region = step_agencies(deadline.case, deadline.step)[0].region
    return policy_for(region).reminder_days_before


def deadline_start(
    *,
    case: Case,
    step: str,
    working_days: int,
    start: datetime.date | None = None,
    reminder_days_before: int | None = None,
    by: User | None = None,
) -> Deadline:
    """Start the clock of a step: due `working_days` working days after `start`. The first
    reminder goes `reminder_days_before` working days ahead (default: the region policy)."""
    cal = WorkingCalendar()
    start = start or today()
    result = cal.add_working_days(start, working_days)
    deadline = Deadline(
        case=case,
        step=step,
        working_days=working_days,
        started_on=start,
        due_on=result.date,
        provisional=result.provisional,
    )
    days_before = reminder_days_before
    if days_before is None:
        days_before = _reminder_days(deadline)
    deadline.next_sweep_on = _next_sweep(deadline, cal, days_before)
    deadline.save()
    _refresh_due(case)
    case_record(
        case=case,
        action="deadline_started",
        by=by,
        reason=_("%(step)s due on %(date)s%(provisional)s")
        % {
            "step": deadline.get_step_display(),
            "date": deadline.due_on.isoformat(),
            "provisional": _(" (provisional)") if deadline.provisional else "",
        },
    )
    return deadline


def deadlines_pause(*, case: Case, by: User | None, on: datetime.date | None = None) -> int:
    """Stop every running clock of the case (补件): keep the working days left."""
    on = on or today()
    cal = WorkingCalendar()
    paused = 0
    for deadline in Deadline.objects.select_for_update().filter(
        case=case, status=Deadline.Status.OPEN
    ):
        left = cal.working_days_between(on, deadline.due_on).days
        deadline.remaining_days = max(left, 0)
        deadline.paused_on = on
        deadline.status = Deadline.Status.PAUSED
        deadline.next_sweep_on = None
        deadline.save(update_fields=["remaining_days", "paused_on", "status", "next_sweep_on"])
        paused += 1
    if paused:
        _refresh_due(case)
        case_record(case=case, action="clock_paused", by=by)
    return paused


def deadlines_resume(
    *,
    case: Case,
    by: User | None,
    on: datetime.date | None = None,
    reminder_days_before: int | None = None,
) -> int:
    """Restart the paused clocks: the days left count from the day the clock resumes."""
    on = on or today()
    cal = WorkingCalendar()
    resumed = 0
    rows = (
        Deadline.objects.select_for_update(of=("self",))
        .filter(case=case, status=Deadline.Status.PAUSED)
        .select_related("case__agency__region", "case__other_agency__region")
    )
    for deadline in rows:
        left = deadline.remaining_days or 0
        result = cal.add_working_days(on, left)
        deadline.due_on = result.date
        deadline.provisional = result.provisional
        deadline.status = Deadline.Status.OPEN
        deadline.resumed_on, deadline.days_left_on_resume = on, left
        deadline.remaining_days = None
        deadline.paused_on = None
        days_before = reminder_days_before
        if days_before is None:
            days_before = _reminder_days(deadline)
        deadline.next_sweep_on = _next_sweep(deadline, cal, days_before)
        deadline.save()
        resumed += 1
    if resumed:
        _refresh_due(case)
        case_record(case=case, action="clock_resumed", by=by)
    return resumed


def deadline_close(*, case: Case, step: str | None = None, met: bool = True) -> int:
    """Stop the clock of one step (or all) as met, or cancelled when the case ends early."""
    rows = Deadline.objects.filter(
        case=case, status__in=[Deadline.Status.OPEN, Deadline.Status.PAUSED]
    )
    if step is not None:
        rows = rows.filter(step=step)
    status = Deadline.Status.MET if met else Deadline.Status.CANCELLED
    closed = rows.update(status=status, met_at=timezone.now(), next_sweep_on=None)
    _refresh_due(case)
    return closed


def _refresh_due(case: Case) -> None:
    due = (
        Deadline.objects.filter(case=case, status=Deadline.Status.OPEN)
        .order_by("due_on")
        .values_list("due_on", flat=True)
        .first()
    )
    if case.due_on != due:
        case.due_on = due
        Case.objects.filter(pk=case.pk).update(due_on=due)


def deadlines_recompute(*, years: Iterable[int], reminder_days_before: int | None = None) -> int:
    """Recompute deadlines whose dates touch the given years after a calendar edit; each
    change is written to the case's history."""
    years = set(years)
    cal = WorkingCalendar()
    changed = 0
    rows = (
        Deadline.objects.select_for_update(of=("self",))
        .filter(status=Deadline.Status.OPEN)
        .filter(
            models.Q(due_on__year__in=years)
            | models.Q(started_on__year__in=years)
            | models.Q(resumed_on__year__in=years)
        )
        .select_related("case__agency__region", "case__other_agency__region")
        .order_by("id")
    )
    for deadline in rows:
        changed += _recompute_one(deadline, cal, reminder_days_before)
    return changed


def _recompute_one(deadline: Deadline, cal: WorkingCalendar, days_before: int | None) -> int:
    # A clock that was paused counts from the day it resumed, with the days then left.
    if deadline.resumed_on is not None:
        result = cal.add_working_days(deadline.resumed_on, deadline.days_left_on_resume or 0)
    else:
        result = cal.add_working_days(deadline.started_on, deadline.working_days)
    if (result.date, result.provisional) == (deadline.due_on, deadline.provisional):
        return 0
    old = deadline.due_on
    deadline.due_on, deadline.provisional = result.date, result.provisional
    if days_before is None:
        days_before = _reminder_days(deadline)
    deadline.next_sweep_on = _next_sweep(deadline, cal, days_before)
    deadline.save(update_fields=["due_on", "provisional", "next_sweep_on"])
    _refresh_due(deadline.case)
    case_record(
        case=deadline.case,
        action="deadline_recomputed",
        by=None,
        reason=_("%(step)s: due on %(old)s → %(new)s after a calendar change")
        % {"step": deadline.get_step_display(), "old": old, "new": deadline.due_on},
    )
    return 1
