"""The deadline sweep and its fan-out: the sweep claims the reminders and escalations that
have come due, following `REMINDER_SCHEDULE`; the fan-out tells the staff."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.deadlines import REMINDER_SCHEDULE, Reminder, step_agencies
from cases.handoff import HandOffTask
from cases.history import SYSTEM
from cases.models import Case, CaseEvent, Deadline, DeadlineReminder, Notification
from cases.notifications import enqueue_delivery, notification_rows
from cases.workflow import today

_SCHEDULE: dict[str, Reminder] = {r.kind: r for r in REMINDER_SCHEDULE}
# Ranks count from 1, as the SQL's WITH ORDINALITY does.
_KIND_RANK: dict[str, int] = {r.kind: rank for rank, r in enumerate(REMINDER_SCHEDULE, 1)}


@dataclass(frozen=True)
class SweepResult:
    examined: int
    # Reminders claimed for the fan-out to send (one per deadline and sweep at most).
    sent: int


def deadlines_sweep(*, on: datetime.date | None = None, batch: int = 500) -> SweepResult:
    """Claim the reminders and escalations that have come due; `reminders_fan_out` then
    tells the staff. Each batch is one statement: lock the due rows (SKIP LOCKED, so that two
    sweeps share the work), insert their reminder rows with ON CONFLICT DO NOTHING against
    the unique constraint (so each is claimed once whatever runs twice) and advance their
    next sweep day. The cost follows the rows due, not the table.

    The kinds due follow from the stored schedule: a row is swept once its `next_sweep_on`
    (the first day with a reminder pending, by region policy) has come, so the reminder
    before the limit is due, the day's notice once the limit is reached and the escalation
    after it. A sweep that comes late (beat was down) records the reminders it missed but has
    only the latest sent: "due today" on the day after would be wrong, and one message is
    enough; the others are claimed already told. A case that ended with its clock still
    running reminds no one."""
    on = on or today()
    params: dict[str, Any] = {
        "on": on,
        "batch": batch,
        "kinds": [str(reminder.kind) for reminder in REMINDER_SCHEDULE],
        "days_after_due": [reminder.days_after_due for reminder in REMINDER_SCHEDULE],
    }
    examined = sent = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_SWEEP_BATCH_SQL, params)
                row = cursor.fetchone()
            claimed, to_send = (int(row[0]), int(row[1])) if row else (0, 0)
            if to_send:
                fan_out_reminders.delay_on_commit()
        examined += claimed
        sent += to_send
        if claimed < batch:
            break
    return SweepResult(examined, sent)


# One batch of the sweep in one statement (the CTEs see one snapshot; the UPDATE touches
# only rows the first one locked). The kinds come as two arrays in schedule order, the
# position being the rank: a kind is due once the row is swept when it has no day of its own
# (the reminder ahead of the limit, whose day set `next_sweep_on`), else once its day after
# the limit has come. After it every kind whose day has come exists, so the next sweep day is
# the first day of a kind still ahead, none when no kind is.
_SWEEP_BATCH_SQL = f"""
WITH due AS (
    SELECT d.id, d.due_on, c.closed_at IS NOT NULL AS closed
    FROM {Deadline._meta.db_table} AS d
    JOIN {Case._meta.db_table} AS c ON c.id = d.case_id
    WHERE d.status = 'open' AND d.next_sweep_on <= %(on)s::date
    ORDER BY d.next_sweep_on, d.id
    LIMIT %(batch)s
    FOR UPDATE OF d SKIP LOCKED
), wanted AS (
    SELECT due.id AS deadline_id, k.kind, k.rank
    FROM due CROSS JOIN unnest(%(kinds)s::text[], %(days_after_due)s::int[])
        WITH ORDINALITY AS k(kind, days_after_due, rank)
    WHERE NOT due.closed
      AND (k.days_after_due IS NULL OR due.due_on + k.days_after_due <= %(on)s::date)
), claimed AS (
    INSERT INTO {DeadlineReminder._meta.db_table}
        (deadline_id, kind, sent_on, created_at, notified_at)
    SELECT deadline_id, kind, %(on)s::date, now(),
           CASE WHEN rank < max(rank) OVER (PARTITION BY deadline_id) THEN now() END
    FROM wanted
    ORDER BY deadline_id, rank
    ON CONFLICT (deadline_id, kind) DO NOTHING
    RETURNING notified_at
), advanced AS (
    UPDATE {Deadline._meta.db_table} AS d
    SET next_sweep_on = CASE WHEN due.closed THEN NULL ELSE (
        SELECT min(due.due_on + k.days_after_due)
        FROM unnest(%(days_after_due)s::int[]) AS k(days_after_due)
        WHERE due.due_on + k.days_after_due > %(on)s::date
    ) END
    FROM due WHERE d.id = due.id
    RETURNING d.id
)
SELECT (SELECT count(*) FROM advanced), (SELECT count(*) FROM claimed WHERE notified_at IS NULL)
"""  # noqa: S608 - table names only


@dataclass(frozen=True)
class FanOutResult:
    examined: int
    sent: int


@shared_task(name="cases.fan_out_reminders", base=HandOffTask)
def fan_out_reminders() -> dict[str, int]:
    result = reminders_fan_out()
    return {"examined": result.examined, "sent": result.sent}


def reminders_fan_out(*, batch: int = 500) -> FanOutResult:
    """Tell the staff of the reminders the sweep claimed: the outbox rows to the step's
    clerks and reviewers (or supervisors for an escalation) and the escalation's history row.

    Reminders not told yet are locked with SKIP LOCKED (fan-outs side by side share them),
    and their notifications are written and `notified_at` set in the same transaction: a
    worker killed half-way leaves its batch untold, to be told once by the next fan-out.
    Nobody is reminded of a clock that stopped (case closed, deadline met, paused or
    cancelled) since the claim; of several kinds of one deadline only the latest is sent."""
    examined = sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                DeadlineReminder.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(notified_at__isnull=True)
                .select_related("deadline__case__agency", "deadline__case__other_agency")
                .order_by("id")[:batch]
            )
            if rows:
                sent += _fan_out_batch(rows)
            examined += len(rows)
        if len(rows) < batch:
            break
    return FanOutResult(examined, sent)


def _fan_out_batch(rows: list[DeadlineReminder]) -> int:
    latest: dict[int, DeadlineReminder] = {}
    for reminder in rows:
        deadline = reminder.deadline
        if deadline.status != Deadline.Status.OPEN or deadline.case.closed_at is not None:
            continue
        held = latest.get(deadline.pk)
        if held is None or _KIND_RANK[reminder.kind] > _KIND_RANK[held.kind]:
            latest[deadline.pk] = reminder
    _notify_deadlines(
        [r.deadline for r in latest.values()], {pk: r.kind for pk, r in latest.items()}
    )
    DeadlineReminder.objects.filter(pk__in=[r.pk for r in rows]).update(notified_at=timezone.now())
    return len(latest)


def _notify_deadlines(rows: list[Deadline], kinds: dict[int, str]) -> None:
    """The reminders and escalations of a batch: recipients read in one query, the outbox
    rows and the escalation history rows written in one statement each."""
    agencies = {a.pk for d in rows for a in step_agencies(d.case, d.step)}
    groups = sorted({group for reminder in REMINDER_SCHEDULE for group in reminder.groups})
    staff: dict[tuple[int, str], set[int]] = {}
    users: dict[int, User] = {}
    for user in User.objects.filter(
        agency_id__in=agencies, is_active=True, groups__name__in=groups
    ).annotate(group=models.F("groups__name")):
        users[user.pk] = user
        staff.setdefault((user.agency_id, user.group), set()).add(user.pk)  # type: ignore[arg-type]
    outbox: list[Notification] = []
    events: list[CaseEvent] = []
    for deadline in rows:
        kind = kinds[deadline.pk]
        recipients = {
            pk
            for agency in step_agencies(deadline.case, deadline.step)
            for group in _SCHEDULE[kind].groups
            for pk in staff.get((agency.pk, group), ())
        }
        message = _deadline_message(deadline, kind)
        for pk in sorted(recipients):
            outbox += notification_rows(
                recipient=users[pk],
                case=deadline.case,
                channels=(Notification.Channel.INBOX, Notification.Channel.EMAIL),
                message=message,
            )
        if kind == DeadlineReminder.Kind.OVERDUE:
            events.append(
                CaseEvent(
                    case=deadline.case,
                    action="escalated",
                    actor=None,
                    actor_label=SYSTEM,
                    reason=_("%(step)s overdue since %(date)s")
                    % {"step": deadline.get_step_display(), "date": deadline.due_on},
                )
            )
    CaseEvent.objects.bulk_create(events)
    enqueue_delivery([n.pk for n in Notification.objects.bulk_create(outbox)])


def _deadline_message(deadline: Deadline, kind: str) -> tuple[str, str]:
    values = {
        "ref": deadline.case.reference,
        "step": deadline.get_step_display(),
        "date": deadline.due_on.isoformat(),
    }
    reminder = _SCHEDULE[kind]
    return str(reminder.subject % values), str(reminder.body % values)
