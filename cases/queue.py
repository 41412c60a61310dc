"""The staff work queue as its page and its exports show it: which list (what the team can act
on, what I hold, what waits at the other agency), sorted by any column, each row with its
state in words, who holds it here, and the working days left (negative when overdue)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case as When_
from django.db.models import F, QuerySet, Value, When
from django.db.models.functions import Concat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases import registry, selectors
from cases.assignment import assignee_at
from cases.calendar import current_calendar
from cases.models import Case, CaseKind
from cases.people import staff_name
from cases.workflow import today


class QueueList:
    TEAM = "team"
    MINE = "mine"
    ELSEWHERE = "elsewhere"


LISTS: tuple[tuple[str, Promise], ...] = (
    (QueueList.TEAM, _("My team's work")),
    (QueueList.MINE, _("Assigned to me")),
    (QueueList.ELSEWHERE, _("In progress at the other agency")),
)

# Each sortable column and what it sorts on; the days left sort as the due date does.
SORTS: dict[str, tuple[str, ...]] = {
    "reference": ("reference",),
    "kind": ("kind", "state"),
    "person": ("person__name",),
    "state": ("state",),
    "days": ("due_on",),
    "assignee": ("holder_name",),
    "filed": ("created_at",),
}
DEFAULT_SORT = "days"


def state_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every state a case can wait in, in words, grouped by kind (a final state is never in
    the queue). The value is "kind:state": two kinds may name a state alike."""
    groups = []
    for kind, kind_label in CaseKind.choices:
        model = registry.workflow_model(kind)
        if model is None:
            continue
        final = set(getattr(model, "FINAL_STATES", ()))
        field = model._meta.get_field("state")
        choices = getattr(field, "choices", None) or []
        states = [(f"{kind}:{value}", str(label)) for value, label in choices if value not in final]
        groups.append((str(kind_label), states))
    return groups


def split_state(raw: str) -> tuple[str, str]:
    """("kind", "state") from a filter value; a bare state (older links) has no kind."""
    kind, _sep, state = raw.rpartition(":")
    return kind, state


def queue_rows(
    user: User,
    *,
    which: str = QueueList.TEAM,
    sort: str = DEFAULT_SORT,
    filters: dict[str, Any] | None = None,
) -> QuerySet[Case]:
    """The list `which`, filtered and sorted ("-" before a column sorts it descending)."""
    filters = dict(filters or {})
    if which == QueueList.MINE:
        filters["assignee"] = "me"
    if which == QueueList.ELSEWHERE:
        rows = selectors.queue_filters(
            selectors.in_progress_elsewhere(user),
            user,
            **_filter_arguments(filters),
        )
    else:
        rows = selectors.work_queue(user, **_filter_arguments(filters))
    return _sorted(rows, user, sort)


def _filter_arguments(filters: dict[str, Any]) -> dict[str, Any]:
    kind, state = split_state(filters.get("state") or "")
    return {
        "kind": filters.get("kind") or kind,
        "state": state,
        "assignee": filters.get("assignee") or "",
        "due_before": filters.get("due_before"),
        "overdue_only": bool(filters.get("overdue")),
    }


def _sorted(rows: QuerySet[Case], user: User, sort: str) -> QuerySet[Case]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        key, descending = DEFAULT_SORT, False
    if key == "assignee":
        rows = rows.annotate(holder_name=_holder_name(user))
    order = [
        F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
        for name in SORTS[key]
    ]
    return rows.order_by(*order, "-created_at", "-id")


def _holder_name(user: User) -> When_:
    def name(prefix: str) -> Concat:
        return Concat(F(f"{prefix}__last_name"), F(f"{prefix}__first_name"))

    return (
        When_(
            When(agency_id=user.agency_id, then=name("assignee")),
            default=name("other_assignee"),
        )
        if user.agency_id is not None
        else When_(default=Value(""))
    )


@dataclass(frozen=True)
class QueueRow:
    case: Case
    state_label: str
    holder: User | None
    holder_name: str
    days_left: int | None
    provisional: bool

    @property
    def overdue(self) -> bool:
        return (
            self.days_left is not None
            and self.case.due_on is not None
            and (self.case.due_on < today())
        )

    @property
    def days_overdue(self) -> int:
        """How many working days past its limit ("已超期 5 个工作日", never "已超期 -5")."""
        return -self.days_left if self.overdue and self.days_left is not None else 0


def rows_for_page(user: User, cases: Iterable[Case]) -> list[QueueRow]:
    """The page's cases with what each row shows (the holders come with the cases)."""
    cal = current_calendar()
    day = today()
    # The years any open deadline falls in, read at once: a page whose dates cross into
    # another year costs no more queries than one that does not.
    cal.load(day.year - 1, day.year + 2)
    rows = []
    for case in cases:
        holder = assignee_at(case, user.agency_id)
        count = cal.working_days_between(day, case.due_on) if case.due_on else None
        rows.append(
            QueueRow(
                case=case,
                state_label=registry.state_label(case.kind, case.state),
                holder=holder,
                holder_name=staff_name(holder) if holder is not None else "",
                days_left=count.days if count is not None else None,
                provisional=bool(count and count.provisional),
            )
        )
    return rows


def due_soon_until(days: int = 3) -> datetime.date:
    """The last day counted as "due soon": `days` working days from today."""
    return current_calendar().add_working_days(today(), days).date
