"""The monthly statistics report (月度统计): per kind of case and per member of staff, the
cases filed and closed (办件量), the limits that fell due in the month met on time (按时办结率)
and those missed (超期件).

A limit counts in the month it falls due: met on or before its day, it is on time; met later,
or still not met, it is missed. A case's figures go to the colleague it is assigned to."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from cases.dashboard import agency_cases
from cases.models import Case, CaseKind, Deadline
from cases.registry import kind_label
from cases.workflow import today


@dataclass(frozen=True)
class ReportRow:
    key: str
    label: str
    filed: int = 0
    closed: int = 0
    on_time: int = 0
    missed: int = 0

    @property
    def due(self) -> int:
        return self.on_time + self.missed

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


@dataclass(frozen=True)
class MonthlyReport:
    first_day: datetime.date
    last_day: datetime.date
    by_kind: list[ReportRow]
    by_staff: list[ReportRow]
    total: ReportRow


def month_bounds(first: datetime.date) -> tuple[datetime.date, datetime.date]:
    following = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return first, following


def _counts(
    cases: QuerySet[Case], field: str, group: str, start: datetime.datetime, end: datetime.datetime
) -> dict[Any, int]:
    rows = cases.filter(**{f"{field}__gte": start, f"{field}__lt": end}).values_list(group)
    return dict(rows.annotate(n=Count("id")).order_by())


def _limits(
    cases: QuerySet[Case], group: str, first: datetime.date, following: datetime.date
) -> dict[Any, tuple[int, int]]:
    deadlines = Deadline.objects.filter(
        case__in=cases, due_on__gte=first, due_on__lt=following
    ).exclude(status=Deadline.Status.CANCELLED)
    met_on_time = Q(status=Deadline.Status.MET, met_at__date__lte=F("due_on"))
    met_late = Q(status=Deadline.Status.MET, met_at__date__gt=F("due_on"))
    unmet = ~Q(status=Deadline.Status.MET) & Q(due_on__lt=today())
    rows = (
        deadlines.values_list(f"case__{group}")
        .annotate(
            on_time=Count("id", filter=met_on_time), missed=Count("id", filter=met_late | unmet)
        )
        .order_by()
    )
    return {key: (on_time, missed) for key, on_time, missed in rows}


def _rows(
    keys: Iterable[Any],
    labels: Mapping[Any, str],
    filed: Mapping[Any, int],
    closed: Mapping[Any, int],
    limits: Mapping[Any, tuple[int, int]],
) -> list[ReportRow]:
    return [
        ReportRow(
            str(k), labels.get(k, str(k)), filed.get(k, 0), closed.get(k, 0), *limits.get(k, (0, 0))
        )
        for k in keys
    ]


Figures = tuple[dict[Any, int], dict[Any, int], dict[Any, tuple[int, int]]]


def monthly_report(agency_id: int, first: datetime.date) -> MonthlyReport:
    first, following = month_bounds(first)
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, zone)
    end = datetime.datetime.combine(following, datetime.time.min, zone)
    cases = agency_cases(agency_id).order_by()
    figures = {
        group: (
            _counts(cases, "created_at", group, start, end),
            _counts(cases, "closed_at", group, start, end),
            _limits(cases, group, first, following),
        )
        for group in ("kind", "assignee")
    }
    assigned = {k for part in figures["assignee"] for k in part if k is not None}
    # The other end's staff work on a transfer too: this agency reports on its own.
    colleagues = User.objects.filter(pk__in=assigned, agency_id=agency_id)
    names = {
        u.pk: u.get_full_name() or u.username
        for u in colleagues.only("username", "first_name", "last_name")
    }
    return report_from(first, figures["kind"], figures["assignee"], names)


def report_from(
    first: datetime.date, by_kind: Figures, by_assignee: Figures, names: Mapping[int, str]
) -> MonthlyReport:
    """The report from its counts (filed, closed, limits) per kind and per assignee, and the
    names of the agency's own colleagues among the assignees."""
    first, following = month_bounds(first)
    present = {k for part in by_kind for k in part}
    order = {k: i for i, k in enumerate(CaseKind.values)}
    kinds = sorted(present, key=lambda k: (order.get(k, len(order)), k))
    kind_rows = _rows(kinds, {k: kind_label(k) for k in kinds}, *by_kind)
    staff_rows = sorted(_rows(names, names, *by_assignee), key=lambda r: r.label)
    total = ReportRow(
        "",
        "",
        sum(r.filed for r in kind_rows),
        sum(r.closed for r in kind_rows),
        sum(r.on_time for r in kind_rows),
        sum(r.missed for r in kind_rows),
    )
    return MonthlyReport(
        first, following - datetime.timedelta(days=1), kind_rows, staff_rows, total
    )
