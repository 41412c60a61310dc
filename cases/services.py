"""Writes that every kind of case shares: opening a case, running a state transition with
its history row, notes, documents, deadlines and their sweep, and notifications.

A workflow service locks its own row, checks its rules, then calls `case_transition`, which
moves the state machine and records the history in the same transaction."""

from __future__ import annotations

import datetime
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_fsm import can_proceed, has_transition_perm

from cases.calendar import WorkingCalendar
from cases.errors import CaseError
from cases.models import (
    Case,
    CaseEvent,
    Deadline,
    DeadlineReminder,
    Document,
    Notification,
)

if TYPE_CHECKING:
    from accounts.models import Agency, InsuredPerson, User

logger = logging.getLogger(__name__)

SYSTEM = "system"


class Workflow(Protocol):
    """A workflow model: its primary key is the case, its state an FSMField named `state`."""

    pk: Any
    case: Case
    state: str

    def save(self, *args: Any, **kwargs: Any) -> None: ...


W = TypeVar("W", bound=models.Model)


def today() -> datetime.date:
    return timezone.localdate()


# --- cases and history -------------------------------------------------------------------


def _new_reference(kind: str) -> str:
    prefix = {"transfer": "ZY", "withdrawal": "TQ", "emergency_refund": "DF"}.get(kind, "GJ")
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.randbelow(10**8):08d}"


def case_open(
    *,
    kind: str,
    person: InsuredPerson,
    agency: Agency,
    channel: str,
    state: str,
    by: User | None,
    applicant: User | None = None,
    other_agency: Agency | None = None,
    note: str = "",
) -> Case:
    """Create the case row and its first history line; the caller creates its workflow row."""
    case = Case.objects.create(
        reference=_new_reference(kind),
        kind=kind,
        person=person,
        applicant=applicant,
        agency=agency,
        other_agency=other_agency,
        channel=channel,
        state=state,
        created_by=by,
    )
    case_record(case=case, action="filed", by=by, to_state=state, reason=note)
    return case


def case_record(
    *,
    case: Case,
    action: str,
    by: User | None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    actor_label: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        action=action,
        actor=by,
        actor_label=actor_label or ("" if by is not None else SYSTEM),
        from_state=from_state,
        to_state=to_state,
        reason=reason,
    )


def case_note_add(*, case: Case, by: User, text: str) -> CaseEvent:
    if not works_on(by, case):
        # An auditor reads the file and writes nothing into it.
        raise CaseError(_("You may not add notes to this case."), code="forbidden")
    text = text.strip()
    if not text:
        raise CaseError(_("A note cannot be empty."), code="empty_note")
    return case_record(case=case, action="note", by=by, reason=text[:4000])


CASE_WORK_PERMISSIONS = ("cases.process_case", "cases.review_case", "cases.sign_off_case")


def works_on(user: User, case: Case) -> bool:
    """Whether the user is active staff of one of the case's agencies with a role that
    handles cases (an auditor or an administrator decides nothing)."""
    return (
        user.is_active
        and user.agency_id is not None
        and user.agency_id in (case.agency_id, case.other_agency_id)
        and any(user.has_perm(name) for name in CASE_WORK_PERMISSIONS)
    )


def case_assign(*, case: Case, assignee: User | None, by: User) -> Case:
    """Take a free case yourself (claim) or hand back your own; a supervisor also gives a
    case to a colleague or takes it from one."""
    case = lock(case)
    if assignee is not None and not works_on(assignee, case):
        raise CaseError(
            _("The case can only go to staff of its own agencies who handle cases."),
            code="bad_assignee",
        )
    if case.assignee_id == (assignee.pk if assignee else None):
        return case
    _check_may_assign(case=case, assignee=assignee, by=by)
    before = case.assignee
    case.assignee = assignee
    case.save(update_fields=["assignee", "updated_at"])
    case_record(
        case=case,
        action="assigned",
        by=by,
        reason=f"{before or '—'} → {assignee or '—'}",
    )
    return case


def _check_may_assign(*, case: Case, assignee: User | None, by: User) -> None:
    if not works_on(by, case):
        raise CaseError(_("You may not assign this case."), code="forbidden")
    if by.has_perm("cases.sign_off_case"):
        return
    if assignee is not None and assignee.pk != by.pk:
        raise CaseError(_("Only a supervisor may assign a case to someone else."), code="forbidden")
    if case.assignee_id not in (None, by.pk):
        raise CaseError(
            _("A colleague holds this case; only a supervisor may reassign it."),
            code="forbidden",
        )


def require_four_eyes(*, case: Case, by: User | None, first_actions: Sequence[str]) -> None:
    """Refuse a second review by whoever did the first review of the same case."""
    if by is None:
        return
    if CaseEvent.objects.filter(case=case, actor=by, action__in=first_actions).exists():
        raise CaseError(
            _("The second review must be done by someone other than the first reviewer."),
            code="four_eyes",
        )


def person_lock(person: InsuredPerson) -> None:
    """Serialise one person's applications until the transaction ends, so that the check for an
    open case of theirs and the insert after it are one step: a double click, two tabs or a
    retried request cannot both pass the check."""
    from accounts.models import InsuredPerson

    list(InsuredPerson.objects.select_for_update().filter(pk=person.pk).values_list("pk"))


def lock(obj: W) -> W:
    """The row again, locked until the transaction ends: every check after this sees the
    state no other request can change under it."""
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


def case_transition(
    *,
    obj: Workflow,
    transition: str,
    by: User | None,
    reason: str = "",
    actor_label: str = "",
    **kwargs: Any,
) -> Workflow:
    """Run the named FSM transition on a row the caller has locked, save it, mirror the
    state onto the case and write the history row. Refuses with a CaseError, never a 500."""
    method = getattr(obj, transition)
    if not can_proceed(method):
        raise CaseError(
            _("This step is not possible while the case is “%(state)s”.")
            % {"state": _state_label(obj)},
            code="wrong_state",
        )
    if by is not None and not has_transition_perm(method, by):
        raise CaseError(_("You may not take this step on this case."), code="forbidden")
    before = obj.state
    method(**kwargs)
    obj.save()
    case = obj.case
    case.state = obj.state
    update = ["state", "updated_at"]
    if _is_final(obj):
        case.closed_at = timezone.now()
        update.append("closed_at")
    case.save(update_fields=update)
    case_record(
        case=case,
        action=transition,
        by=by,
        from_state=before,
        to_state=obj.state,
        reason=reason,
        actor_label=actor_label,
    )
    return obj


def _state_label(obj: Workflow) -> str:
    field = type(obj)._meta.get_field("state")  # type: ignore[attr-defined]
    return str(dict(field.choices or []).get(obj.state, obj.state))


def _is_final(obj: Workflow) -> bool:
    final = getattr(type(obj), "FINAL_STATES", ())
    return obj.state in final


def person_id_reveal(*, case: Case, by: User) -> CaseEvent:
    """Record that a member of staff saw the insured person's full ID number; the page shows
    it once, the history keeps who looked and when."""
    if not (works_on_or_audits(by, case) and by.has_perm("accounts.reveal_id_number")):
        raise CaseError(_("You may not see full ID numbers."), code="forbidden")
    return case_record(
        case=case,
        action="id_revealed",
        by=by,
        reason=_("Full ID number of %(name)s shown") % {"name": case.person.name},
    )


def works_on_or_audits(user: User, case: Case) -> bool:
    """Staff of one of the case's agencies, whatever their role."""
    return (
        user.is_active
        and user.agency_id is not None
        and user.agency_id in (case.agency_id, case.other_agency_id)
    )


# --- deadlines ---------------------------------------------------------------------------


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
    plan = [
        (DeadlineReminder.Kind.BEFORE, _remind_on(cal, deadline.due_on, days_before)),
        (DeadlineReminder.Kind.DUE, deadline.due_on),
        (DeadlineReminder.Kind.OVERDUE, deadline.due_on + datetime.timedelta(days=1)),
    ]
    pending = [day for kind, day in plan if kind not in sent]
    return min(pending) if pending else None


def _step_agencies(case: Case, step: str) -> list[Agency]:
    """The agencies whose clock this is: a transfer's steps belong to one end each."""
    if step == "transfer_destination" and case.other_agency is not None:
        return [case.other_agency]
    if step == "transfer_origin":
        return [case.agency]
    return [a for a in (case.agency, case.other_agency) if a is not None]


def _reminder_days(deadline: Deadline) -> int:
    """How many working days before the limit the first reminder goes, by region policy."""
    from accounts.policy import policy_for

    region = _step_agencies(deadline.case, deadline.step)[0].region
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
    examined = sent = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_SWEEP_BATCH_SQL, {"on": on, "batch": batch})
                row = cursor.fetchone()
            claimed, to_send = (int(row[0]), int(row[1])) if row else (0, 0)
            if to_send:
                transaction.on_commit(enqueue_fan_out)
        examined += claimed
        sent += to_send
        if claimed < batch:
            break
    return SweepResult(examined, sent)


# One batch of the sweep in one statement (the CTEs see one snapshot; the UPDATE touches
# only rows the first one locked). Ranks: before 1, due 2, overdue 3. After it every kind
# whose day has come exists, so the next sweep day is the limit while it is ahead, the day
# after it on the day itself, and none once the escalation is claimed.
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
    FROM due CROSS JOIN (VALUES ('before', 1), ('due', 2), ('overdue', 3)) AS k(kind, rank)
    WHERE NOT due.closed
      AND (k.rank = 1
           OR (k.rank = 2 AND due.due_on <= %(on)s::date)
           OR (k.rank = 3 AND due.due_on < %(on)s::date))
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
    SET next_sweep_on = CASE
        WHEN due.closed THEN NULL
        WHEN due.due_on > %(on)s::date THEN due.due_on
        WHEN due.due_on = %(on)s::date THEN due.due_on + 1
        END
    FROM due WHERE d.id = due.id
    RETURNING d.id
)
SELECT (SELECT count(*) FROM advanced), (SELECT count(*) FROM claimed WHERE notified_at IS NULL)
"""  # noqa: S608 - table names only

_KIND_RANK: dict[str, int] = {
    DeadlineReminder.Kind.BEFORE: 1,
    DeadlineReminder.Kind.DUE: 2,
    DeadlineReminder.Kind.OVERDUE: 3,
}


@dataclass(frozen=True)
class FanOutResult:
    examined: int
    sent: int


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


def enqueue_fan_out() -> None:
    """Have a worker tell the reminders a sweep just claimed. With the broker down this logs
    and returns: beat runs the fan-out every minute anyway."""
    _hand_off(_publish_fan_out, "reminders left for the scheduled fan-out")


def _publish_fan_out() -> None:
    from cases.tasks import fan_out_reminders

    _publish(fan_out_reminders, [()])


# Who is told, by the kind of reminder: the step's clerks and reviewers, or its supervisors.
_RECIPIENT_GROUPS: dict[str, tuple[str, ...]] = {
    DeadlineReminder.Kind.BEFORE: ("clerk", "reviewer"),
    DeadlineReminder.Kind.DUE: ("clerk", "reviewer"),
    DeadlineReminder.Kind.OVERDUE: ("supervisor",),
}


def _notify_deadlines(rows: list[Deadline], kinds: dict[int, str]) -> None:
    """The reminders and escalations of a batch: recipients read in one query, the outbox
    rows and the escalation history rows written in one statement each."""
    from accounts.models import User

    agencies = {a.pk for d in rows for a in _step_agencies(d.case, d.step)}
    staff: dict[tuple[int, str], set[int]] = {}
    users: dict[int, User] = {}
    for user in User.objects.filter(
        agency_id__in=agencies, is_active=True, groups__name__in=["clerk", "reviewer", "supervisor"]
    ).annotate(group=models.F("groups__name")):
        users[user.pk] = user
        staff.setdefault((user.agency_id, user.group), set()).add(user.pk)  # type: ignore[arg-type]
    outbox: list[Notification] = []
    events: list[CaseEvent] = []
    for deadline in rows:
        kind = kinds[deadline.pk]
        recipients = {
            pk
            for agency in _step_agencies(deadline.case, deadline.step)
            for group in _RECIPIENT_GROUPS[kind]
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
    ids = [n.pk for n in Notification.objects.bulk_create(outbox)]
    if ids:
        transaction.on_commit(lambda: enqueue_delivery(ids))


def _deadline_message(deadline: Deadline, kind: str) -> tuple[str, str]:
    values = {
        "ref": deadline.case.reference,
        "step": deadline.get_step_display(),
        "date": deadline.due_on.isoformat(),
    }
    if kind == DeadlineReminder.Kind.OVERDUE:
        return (
            _("Overdue: %(ref)s") % values,
            _("Case %(ref)s: “%(step)s” was due on %(date)s and is overdue.") % values,
        )
    if kind == DeadlineReminder.Kind.DUE:
        return (
            _("Due today: %(ref)s") % values,
            _("Case %(ref)s: “%(step)s” is due today (%(date)s).") % values,
        )
    return (
        _("Deadline approaching: %(ref)s") % values,
        _("Case %(ref)s: “%(step)s” is due on %(date)s.") % values,
    )


# --- documents ---------------------------------------------------------------------------


def document_add(*, case: Case, kind: str, upload: Any, by: User | None) -> Document:
    """Check the file by its content, store it under a random name, record it on the case."""
    from django.core.files.base import ContentFile

    from cases.documents import check_upload
    from cases.models import DocumentKind

    if kind not in DocumentKind.values:
        raise CaseError(_("Choose what kind of document this is."), code="bad_kind")
    checked = check_upload(upload)
    document = Document(
        case=case,
        kind=kind,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=checked.sha256,
        uploaded_by=by,
    )
    document.file.save("upload", ContentFile(checked.content), save=False)
    document.save()
    case_record(
        case=case,
        action="document_added",
        by=by,
        reason=f"{document.get_kind_display()}: {document.original_name}",
    )
    return document


# --- notifications -----------------------------------------------------------------------

ALL_CHANNELS = (Notification.Channel.INBOX, Notification.Channel.SMS, Notification.Channel.EMAIL)


def notify(
    *,
    recipient: User | None,
    message: tuple[str, str] | Any,
    case: Case | None = None,
    channels: Sequence[str] = ALL_CHANNELS,
    mobile: str = "",
) -> list[Notification]:
    """Write the outbox rows now, in the caller's transaction; deliver after commit.

    `message` is (subject, body) already in words, or a callable taking no argument that
    returns them, called with the portal's language active."""
    created = Notification.objects.bulk_create(
        notification_rows(
            recipient=recipient, message=message, case=case, channels=channels, mobile=mobile
        )
    )
    ids = [n.pk for n in created]
    if ids:
        transaction.on_commit(lambda: enqueue_delivery(ids))
    return created


def notification_rows(
    *,
    recipient: User | None,
    message: tuple[str, str] | Any,
    case: Case | None = None,
    channels: Sequence[str] = ALL_CHANNELS,
    mobile: str = "",
) -> list[Notification]:
    """The outbox rows `notify` writes, not saved: for a caller that writes many at once."""
    # Users keep no language of their own: messages are written in the portal's (Chinese).
    with override(settings.LANGUAGE_CODE):
        subject, body = message() if callable(message) else message
    rows = []
    for channel in channels:
        address = _address(recipient, channel, mobile)
        if channel != Notification.Channel.INBOX and not address:
            continue
        if channel == Notification.Channel.INBOX and recipient is None:
            continue
        rows.append(
            Notification(
                recipient=recipient,
                address=address,
                channel=channel,
                case=case,
                subject=str(subject)[:200],
                body=str(body),
            )
        )
    return rows


def notify_person(
    *, person: InsuredPerson, message: tuple[str, str] | Any, case: Case | None = None
) -> list[Notification]:
    """Tell an insured person: their login's inbox, e-mail and SMS, or SMS to the phone on
    record when they have no login (window applicants)."""
    from accounts.models import User

    user = User.objects.filter(person=person, is_active=True).first()
    return notify(recipient=user, message=message, case=case, mobile=person.phone)


def _address(recipient: User | None, channel: str, mobile: str) -> str:
    if channel == Notification.Channel.SMS:
        return (recipient.mobile if recipient is not None else None) or mobile or ""
    if channel == Notification.Channel.EMAIL:
        return (recipient.email if recipient is not None else "") or ""
    return ""


@dataclass
class _BrokerState:
    down_until: float = 0.0


# After a failed hand-off the next ones skip the broker for a while: an outage then costs one
# slow commit per process, not every request, and the outbox sweep delivers the rows anyway.
BROKER_RETRY_AFTER_SECONDS = 30.0
_BROKER = _BrokerState()


def enqueue_delivery(ids: Sequence[int]) -> None:
    """Hand the rows to a worker. With the broker down this logs and returns: the rows stay
    pending and the beat task delivers them once Redis is back."""
    if ids:
        _hand_off(lambda: _publish_deliveries(ids), f"{len(ids)} notifications left for the sweep")


def _publish_deliveries(ids: Sequence[int]) -> None:
    from cases.tasks import deliver_notification

    _publish(deliver_notification, [(pk,) for pk in ids])


def _hand_off(publish: Callable[[], None], left: str) -> None:
    """Publish after a commit, skipping a broker known to be down; the scheduled sweeps do
    the work whatever happens here."""
    if time.monotonic() < _BROKER.down_until:
        logger.warning("broker marked down; %s", left)
        return
    try:
        publish()
    except Exception:  # kombu raises several types for a dead broker
        _BROKER.down_until = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
        logger.warning("broker unavailable; %s", left)


def _publish(task: Any, calls: Sequence[tuple[Any, ...]]) -> None:
    app = task.app
    if app.conf.task_always_eager:
        for args in calls:
            task.apply_async(args=args)
        return
    with app.producer_or_acquire() as producer:
        # One connection attempt: left to itself kombu retries for the connection timeout
        # (seconds) before publish gives up, and this runs in a request after its commit.
        producer.connection.ensure_connection(max_retries=0)
        for args in calls:
            task.apply_async(args=args, producer=producer, retry=False)


def notification_deliver(*, notification_id: int) -> bool:
    """Send one outbox row. Claimed with a conditional UPDATE so that two workers never both
    send it; sent outside any transaction (the gateway may be slow)."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING
    ).update(status=Notification.Status.SENDING, claimed_at=now, attempts=models.F("attempts") + 1)
    if not claimed:
        return False
    row = Notification.objects.get(pk=notification_id)
    try:
        _send(row)
    except Exception as exc:
        logger.warning("notification %s failed: %s", row.pk, type(exc).__name__)
        status = Notification.Status.FAILED if row.attempts >= 5 else Notification.Status.PENDING
        Notification.objects.filter(pk=row.pk).update(status=status, last_error=str(exc)[:300])
        return False
    Notification.objects.filter(pk=row.pk).update(
        status=Notification.Status.SENT, sent_at=timezone.now()
    )
    return True


def _send(row: Notification) -> None:
    from django.core.mail import send_mail

    from cases.sms import get_sms_sender

    if row.channel == Notification.Channel.SMS:
        get_sms_sender().send(mobile=row.address, text=f"{row.subject}: {row.body}")
    elif row.channel == Notification.Channel.EMAIL:
        send_mail(row.subject, row.body, settings.DEFAULT_FROM_EMAIL, [row.address])
    # The inbox needs no sending: the row is what the inbox page shows.


def notifications_requeue(*, older_than_seconds: int = 60, limit: int = 1000) -> int:
    """Deliver what the after-commit hand-off missed (broker down, worker killed while
    sending): pending rows older than a minute, and rows stuck in "sending" for ten."""
    now = timezone.now()
    stale = Notification.objects.filter(
        status=Notification.Status.SENDING, claimed_at__lt=now - datetime.timedelta(minutes=10)
    )
    stale.update(status=Notification.Status.PENDING)
    ids = list(
        Notification.objects.filter(
            status=Notification.Status.PENDING,
            created_at__lt=now - datetime.timedelta(seconds=older_than_seconds),
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        notification_deliver(notification_id=pk)
    return len(ids)


def notification_mark_read(*, notification: Notification, by: User) -> None:
    if notification.recipient_id != by.pk or notification.read_at is not None:
        return
    notification.read_at = timezone.now()
    notification.save(update_fields=["read_at"])
