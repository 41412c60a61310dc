"""The figures of many agencies read together: each statement groups by agency as well, so
that the beat's refresh reads the cases table a few times in all rather than a few times for
every agency. A case counts for its own agency and, a transfer, for the other agency too
(`cases.dashboard.agency_cases`): each statement is the union of those two sides."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from accounts.models import User
from cases.dashboard import (
    NOT_WORK,
    Board,
    KindRate,
    StaffLoad,
    StateCount,
    Week,
    week_starts,
)
from cases.models import Case, Deadline
from cases.monthly import Figures, MonthlyReport, month_bounds, report_from
from cases.registry import kind_label, state_label
from cases.workflow import today


@dataclass
class Tally:
    """One board's counts while the grouped rows are read (an agency's, or one assignee's)."""

    open: Counter[tuple[str, str]] = field(default_factory=Counter)
    due_soon: int = 0
    overdue: int = 0
    filed: Counter[datetime.date] = field(default_factory=Counter)
    closed: Counter[datetime.date] = field(default_factory=Counter)
    met: Counter[str] = field(default_factory=Counter)
    on_time: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.open.update(other.open)
        self.due_soon += other.due_soon
        self.overdue += other.overdue
        self.filed.update(other.filed)
        self.closed.update(other.closed)
        self.met.update(other.met)
        self.on_time.update(other.on_time)

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


def _grouped(
    rows: QuerySet[Any],
    agency_ids: Sequence[int],
    fields: Sequence[str],
    aggregates: dict[str, Any],
    case: str = "",
) -> Iterable[tuple[Any, ...]]:
    """`rows` (cases, or rows of a case: `case="case__"`) grouped by the agency they count
    for and `fields`, the `aggregates` after them: one statement."""
    own = rows.filter(**{f"{case}agency_id__in": agency_ids}).annotate(
        counted_for=F(f"{case}agency_id")
    )
    other = (
        rows.filter(**{f"{case}other_agency_id__in": agency_ids})
        .exclude(**{f"{case}other_agency_id": F(f"{case}agency_id")})
        .annotate(counted_for=F(f"{case}other_agency_id"))
    )
    first = own.values_list("counted_for", *fields).annotate(**aggregates).order_by()
    second = other.values_list("counted_for", *fields).annotate(**aggregates).order_by()
    union: Iterable[tuple[Any, ...]] = first.union(second, all=True)
    return union


def _aware(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, timezone.get_current_timezone())


def tallies(agency_ids: Sequence[int], on: datetime.date) -> dict[int, dict[int | None, Tally]]:
    """Every board figure of the agencies' cases by agency and assignee (None: unassigned),
    in four statements whatever the number of agencies; an agency's board is the sum."""
    tally: dict[int, dict[int | None, Tally]] = defaultdict(lambda: defaultdict(Tally))
    soon = Q(due_on__gte=on, due_on__lte=on + datetime.timedelta(days=3))
    open_rows = _grouped(
        Case.objects.filter(closed_at__isnull=True).exclude(NOT_WORK),
        agency_ids,
        ("assignee_id", "kind", "state"),
        {
            "n": Count("id"),
            "soon": Count("id", filter=soon),
            "late": Count("id", filter=Q(due_on__lt=on)),
        },
    )
    for agency, assignee, kind, state, n, n_soon, late in open_rows:
        t = tally[agency][assignee]
        t.open[(kind, state)] += n
        t.due_soon += n_soon
        t.overdue += late
    first = week_starts(on)[0]
    zone = timezone.get_current_timezone()
    for name in ("created_at", "closed_at"):
        cases = Case.objects.filter(**{f"{name}__gte": _aware(first)}).annotate(
            week=TruncWeek(name, tzinfo=zone)
        )
        for agency, assignee, week, n in _grouped(
            cases, agency_ids, ("assignee_id", "week"), {"n": Count("id")}
        ):
            t = tally[agency][assignee]
            (t.filed if name == "created_at" else t.closed)[week.date()] += n
    met = Deadline.objects.filter(status=Deadline.Status.MET, met_at__gte=_aware(first))
    rate_rows = _grouped(
        met,
        agency_ids,
        ("case__assignee_id", "case__kind"),
        {"n": Count("id"), "on_time": Count("id", filter=Q(met_at__date__lte=F("due_on")))},
        case="case__",
    )
    for agency, assignee, kind, n, on_time in rate_rows:
        tally[agency][assignee].met[kind] += n
        tally[agency][assignee].on_time[kind] += on_time
    return tally


def reports(
    agency_ids: Sequence[int], firsts: Sequence[datetime.date]
) -> dict[int, dict[datetime.date, MonthlyReport]]:
    """The monthly report of each agency for each month starting on one of `firsts`, in four
    statements whatever the number of agencies and months."""
    start, end = min(firsts), month_bounds(max(firsts))[1]
    zone = timezone.get_current_timezone()
    # (agency, month, "kind" or "assignee") -> filed, closed, limits
    parts: dict[tuple[int, datetime.date, str], Figures] = defaultdict(lambda: ({}, {}, {}))
    for index, name in enumerate(("created_at", "closed_at")):
        cases = Case.objects.filter(
            **{f"{name}__gte": _aware(start), f"{name}__lt": _aware(end)}
        ).annotate(month=TruncMonth(name, tzinfo=zone))
        for agency, month, kind, assignee, n in _grouped(
            cases, agency_ids, ("month", "kind", "assignee_id"), {"n": Count("id")}
        ):
            for group, key in (("kind", kind), ("assignee", assignee)):
                counts = parts[(agency, month.date(), group)][index]
                counts[key] = counts.get(key, 0) + n
    deadlines = Deadline.objects.filter(due_on__gte=start, due_on__lt=end).exclude(
        status=Deadline.Status.CANCELLED
    )
    met = Q(status=Deadline.Status.MET)
    limit_rows = _grouped(
        deadlines.annotate(month=TruncMonth("due_on")),
        agency_ids,
        ("month", "case__kind", "case__assignee_id"),
        {
            "on_time": Count("id", filter=met & Q(met_at__date__lte=F("due_on"))),
            "missed": Count(
                "id",
                filter=(met & Q(met_at__date__gt=F("due_on"))) | (~met & Q(due_on__lt=today())),
            ),
        },
        case="case__",
    )
    for agency, month, kind, assignee, on_time, missed in limit_rows:
        for group, key in (("kind", kind), ("assignee", assignee)):
            limits = parts[(agency, month, group)][2]
            before = limits.get(key, (0, 0))
            limits[key] = (before[0] + on_time, before[1] + missed)
    names = _names({k for (_, _, g), p in parts.items() if g == "assignee" for c in p for k in c})
    result: dict[int, dict[datetime.date, MonthlyReport]] = defaultdict(dict)
    for agency in agency_ids:
        for first in firsts:
            assignees = parts[(agency, first, "assignee")]
            present = {k for c in assignees for k in c if k is not None}
            # The other end's staff work on a transfer too: an agency reports on its own.
            own = {pk: names[(pk, agency)] for pk in present if (pk, agency) in names}
            result[agency][first] = report_from(
                first, parts[(agency, first, "kind")], assignees, own
            )
    return result


def _names(user_ids: set[Any]) -> dict[tuple[int, int], str]:
    """Each user's name, keyed by (user, their agency)."""
    users = User.objects.filter(pk__in=[pk for pk in user_ids if pk is not None])
    return {
        (u.pk, u.agency_id): u.get_full_name() or u.username
        for u in users.only("username", "first_name", "last_name", "agency_id")
        if u.agency_id is not None
    }
