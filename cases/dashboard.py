"""The dashboard's figures, for an agency or one member of its staff: open work by kind and
state, intake and completions per week, the on-time rate per kind, and each colleague's load.

Every figure is one aggregate statement (GROUP BY in PostgreSQL): the page costs the same
number of queries however many cases the agency holds."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import User
from cases.models import Case, CaseEvent, CaseKind, Deadline
from cases.registry import kind_label, state_label
from cases.workflow import today

WEEKS = 12
# An active binding is a standing arrangement, not work waiting for staff.
NOT_WORK = Q(kind=CaseKind.FAMILY_BINDING, state="active")


@dataclass(frozen=True)
class StateCount:
    kind: str
    kind_label: str
    state: str
    label: str
    count: int


@dataclass(frozen=True)
class Week:
    starts_on: datetime.date
    filed: int
    closed: int


@dataclass(frozen=True)
class KindRate:
    kind: str
    label: str
    met: int
    on_time: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.met if self.met else None


@dataclass(frozen=True)
class StaffLoad:
    user_id: int
    name: str
    open: int
    overdue: int
    steps: int


@dataclass(frozen=True)
class Board:
    open_by_state: list[StateCount]
    weeks: list[Week]
    rates: list[KindRate]
    due_soon: int
    overdue: int
    team: list[StaffLoad]

    @property
    def open_total(self) -> int:
        return sum(row.count for row in self.open_by_state)


def agency_cases(agency_id: int) -> QuerySet[Case]:
    return Case.objects.filter(Q(agency_id=agency_id) | Q(other_agency_id=agency_id))


def _open_by_state(open_cases: QuerySet[Case]) -> list[StateCount]:
    counts = open_cases.values_list("kind", "state").annotate(n=Count("id")).order_by()
    rows = [StateCount(k, kind_label(k), s, state_label(k, s), n) for k, s, n in counts]
    return sorted(rows, key=lambda r: (r.kind, -r.count, r.state))


def week_starts(on: datetime.date, weeks: int = WEEKS) -> list[datetime.date]:
    monday = on - datetime.timedelta(days=on.weekday())
    return [monday - datetime.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _per_week(
    cases: QuerySet[Case], field: str, since: datetime.datetime
) -> dict[datetime.date, int]:
    zone = timezone.get_current_timezone()
    rows = (
        cases.filter(**{f"{field}__gte": since})
        .annotate(week=TruncWeek(field, tzinfo=zone))
        .values_list("week")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {week.date(): n for week, n in rows}


def _weeks(cases: QuerySet[Case], on: datetime.date) -> list[Week]:
    starts = week_starts(on)
    since = datetime.datetime.combine(starts[0], datetime.time.min, timezone.get_current_timezone())
    filed = _per_week(cases, "created_at", since)
    closed = _per_week(cases, "closed_at", since)
    return [Week(d, filed.get(d, 0), closed.get(d, 0)) for d in starts]


def _rates(cases: QuerySet[Case], since: datetime.date) -> list[KindRate]:
    met = Deadline.objects.filter(
        case__in=cases, status=Deadline.Status.MET, met_at__date__gte=since
    )
    rows = (
        met.values_list("case__kind")
        .annotate(n=Count("id"), on_time=Count("id", filter=Q(met_at__date__lte=F("due_on"))))
        .order_by("case__kind")
    )
    return [KindRate(k, kind_label(k), n, on_time) for k, n, on_time in rows]


def team_names(agency_id: int) -> dict[int, str]:
    """The agency's active staff who handle cases, by name."""
    staff = User.objects.filter(agency_id=agency_id, is_active=True, groups__name__in=TEAM_ROLES)
    return {
        u.pk: u.get_full_name() or u.username
        for u in staff.distinct().only("pk", "username", "first_name", "last_name")
    }


def team_steps(names: dict[int, str]) -> dict[int, int]:
    """Steps each of them took in the last four weeks."""
    since = timezone.now() - datetime.timedelta(weeks=4)
    return dict(
        CaseEvent.objects.filter(actor_id__in=names, at__gte=since)
        .exclude(to_state="")
        .exclude(from_state=F("to_state"))
        .values_list("actor_id")
        .annotate(n=Count("id"))
        .order_by()
    )


def _team(agency_id: int, open_cases: QuerySet[Case], on: datetime.date) -> list[StaffLoad]:
    names = team_names(agency_id)
    load = {
        a: (n, late)
        for a, n, late in open_cases.filter(assignee_id__in=names)
        .values_list("assignee_id")
        .annotate(n=Count("id"), late=Count("id", filter=Q(due_on__lt=on)))
        .order_by()
    }
    steps = team_steps(names)
    return [
        StaffLoad(pk, name, *load.get(pk, (0, 0)), steps.get(pk, 0))
        for pk, name in sorted(names.items(), key=lambda item: item[1])
    ]


TEAM_ROLES = ("clerk", "reviewer", "supervisor")


def board_for(
    agency_id: int,
    *,
    member: User | None = None,
    with_team: bool = False,
    on: datetime.date | None = None,
) -> Board:
    """The agency's figures, or those of the cases assigned to `member`; each colleague's
    load when asked `with_team` (for the agency's figures only)."""
    on = on or today()
    cases = agency_cases(agency_id)
    if member is not None:
        cases = cases.filter(assignee_id=member.pk)
    open_cases = cases.filter(closed_at__isnull=True).exclude(NOT_WORK).order_by()
    return Board(
        open_by_state=_open_by_state(open_cases),
        weeks=_weeks(cases.order_by(), on),
        rates=_rates(cases.order_by(), week_starts(on)[0]),
        due_soon=open_cases.filter(
            due_on__gte=on, due_on__lte=on + datetime.timedelta(days=3)
        ).count(),
        overdue=open_cases.filter(due_on__lt=on).count(),
        team=_team(agency_id, open_cases, on) if with_team and member is None else [],
    )
