"""What each staff role lands on: the clerk's cases to take in and carry on, the reviewer's
cases waiting for a second review (never one they reviewed first), the supervisor's overdue
and nearly due steps, escalations, payouts to confirm and the team's load, and the auditor's
read-only search. Each list is scoped like the queue and read in a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Window
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases import selectors
from cases.models import Case, CaseEvent
from cases.people import staff_name
from cases.queue import QueueRow, due_soon_until, rows_for_page
from cases.workflow import today

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

# The states named here belong to the workflow apps, which cases does not import: a
# withdrawal's first review done (Withdrawal.State.FIRST_REVIEWED), and the payments one
# member of staff prepared for a second to confirm (双人复核: Transfer.State.OUT_PREPARED,
# CREDIT_PREPARED, Withdrawal.State.PAYOUT_PREPARED).
SECOND_REVIEW_STATES = ("first_reviewed",)
FIRST_REVIEW_ACTIONS = ("first_review",)
PREPARED_STATES = ("out_prepared", "credit_prepared", "payout_prepared")
# Taking in: a transfer application not yet accepted, a withdrawal or refund not yet reviewed,
# a binding awaiting review, and a transfer the origin sent for the destination to take in
# (Transfer.State.TRANSFERRED_OUT: at 转入 the destination's clerk takes the case in, and until
# one claims it nobody there holds it, so no other list of theirs would show it).
INTAKE_STATES = ("applied", "submitted", "pending", "transferred_out")

LIST_LENGTH = 10


@dataclass
class WorkList:
    key: str
    title: _StrPromise | str
    rows: list[QueueRow]
    total: int
    more_url: str = ""
    empty: _StrPromise | str = ""


@dataclass(frozen=True)
class Load:
    name: str
    user_id: int
    open: int
    overdue: int


@dataclass
class Landing:
    role: str
    lists: list[WorkList] = field(default_factory=list)
    team: list[Load] = field(default_factory=list)


def _first(user: User, rows: QuerySet[Case]) -> tuple[list[QueueRow], int]:
    # The first keys in queue order, then their rows with person, agencies and holders:
    # PostgreSQL misjudges how many cases one colleague holds (11 for 1,559 at the busiest
    # agency) and joined every one of them before sorting; sorting bare keys is cheap.
    # The total comes with the keys (a window over the same rows): one statement, not two.
    keys = list(rows.annotate(total=Window(Count("pk"))).values_list("pk", "total")[:LIST_LENGTH])
    if not keys:
        return [], 0
    return rows_for_page(user, rows.filter(pk__in=[pk for pk, _ in keys])), keys[0][1]


def to_take_in(user: User) -> QuerySet[Case]:
    return selectors.work_queue(user).filter(state__in=INTAKE_STATES)


def in_hand(user: User) -> QuerySet[Case]:
    """The user's own cases past intake."""
    return selectors.work_queue(user, assignee="me").exclude(state__in=INTAKE_STATES)


def second_reviews(user: User) -> QuerySet[Case]:
    """Cases whose first review is done, at the user's agency, that this user did not
    review first (双人复核: the same person never does both)."""
    reviewed_first = CaseEvent.objects.filter(
        case=OuterRef("pk"), actor=user, action__in=FIRST_REVIEW_ACTIONS
    )
    return (
        selectors.work_queue(user)
        .filter(state__in=SECOND_REVIEW_STATES)
        .exclude(Exists(reviewed_first))
    )


def payouts_to_confirm(user: User) -> QuerySet[Case]:
    """Payments a colleague prepared, waiting for a second person; the one who prepared a
    payment is never shown it to confirm (their last step on it was the preparation)."""
    prepared_by_me = CaseEvent.objects.filter(
        case=OuterRef("pk"), actor=user, to_state__in=PREPARED_STATES
    )
    return (
        selectors.work_queue(user).filter(state__in=PREPARED_STATES).exclude(Exists(prepared_by_me))
    )


def overdue(user: User) -> QuerySet[Case]:
    return selectors.work_queue(user, overdue_only=True)


def due_soon(user: User, until: datetime.date | None = None) -> QuerySet[Case]:
    until = until or due_soon_until()
    return selectors.work_queue(user, due_before=until).filter(due_on__gte=today())


def escalations(user: User) -> QuerySet[Case]:
    """Open cases of the agency escalated to the supervisors (an overdue step), latest
    escalation first."""
    escalated = CaseEvent.objects.filter(case=OuterRef("pk"), action="escalated")
    return (
        selectors.cases_visible_to(user)
        .filter(closed_at__isnull=True)
        .filter(Exists(escalated))
        .select_related(*selectors.QUEUE_RELATED)
        .order_by(*selectors.QUEUE_ORDER)
    )


def team_load(user: User) -> list[Load]:
    """Open cases held by each colleague who handles cases, and how many are overdue; one
    query for the counts, one for the people."""
    if user.agency_id is None:
        return []
    day = today()
    people = (
        User.objects.filter(
            agency_id=user.agency_id, is_active=True, groups__name__in=selectors.CASE_ROLES
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    # Grouped over the open cases held (one side each), not joined from the people: a join
    # of both sides multiplied each person's cases by their second-assigned ones.
    held = Case.objects.filter(closed_at__isnull=True)
    load = {"n": Count("id"), "late": Count("id", filter=Q(due_on__lt=day))}
    mine = held.filter(agency_id=user.agency_id, assignee_id__in=people.values("pk"))
    second = held.filter(other_agency_id=user.agency_id, other_assignee_id__in=people.values("pk"))
    counts: dict[int, list[int]] = {}
    for pk, n, late in (
        mine.values_list("assignee_id")
        .annotate(**load)
        .order_by()
        .union(second.values_list("other_assignee_id").annotate(**load).order_by(), all=True)
    ):
        total = counts.setdefault(pk, [0, 0])
        total[0] += n
        total[1] += late
    return [
        Load(
            name=staff_name(person),
            user_id=person.pk,
            open=counts.get(person.pk, [0, 0])[0],
            overdue=counts.get(person.pk, [0, 0])[1],
        )
        for person in people
    ]


def role_of(user: User) -> str:
    """The role whose work the user lands on (a supervisor holds every case permission)."""
    if user.has_perm("cases.sign_off_case"):
        return "supervisor"
    if user.has_perm("cases.process_case"):
        return "clerk"
    if user.has_perm("cases.review_case"):
        return "reviewer"
    return "auditor" if selectors.is_staff_member(user) else ""


def _list(
    user: User, key: str, title: _StrPromise, rows: QuerySet[Case], more: str, empty: _StrPromise
) -> WorkList:
    shown, total = _first(user, rows)
    return WorkList(key=key, title=title, rows=shown, total=total, more_url=more, empty=empty)


def landing_for(user: User) -> Landing:
    """The lists the user's role starts the day with."""
    role = role_of(user)
    landing = Landing(role=role)
    queue = reverse("cases:queue")
    if role == "clerk":
        landing.lists = [
            _list(
                user,
                "intake",
                _("To take in and check"),
                to_take_in(user),
                f"{queue}?assignee=unassigned",
                _("Nothing new to take in."),
            ),
            _list(
                user,
                "mine",
                _("In my hands"),
                in_hand(user),
                f"{queue}?list=mine",
                _("No case of yours is waiting for you."),
            ),
        ]
    elif role == "reviewer":
        landing.lists = [
            _list(
                user,
                "second_review",
                _("Waiting for a second review"),
                second_reviews(user),
                f"{queue}?state=withdrawal:first_reviewed",
                _("No case is waiting for your second review."),
            ),
        ]
    elif role == "supervisor":
        landing.lists = [
            _list(
                user,
                "overdue",
                _("Overdue"),
                overdue(user),
                f"{queue}?overdue=on",
                _("Nothing is overdue."),
            ),
            _list(
                user,
                "due_soon",
                _("Due within three working days"),
                due_soon(user),
                f"{queue}?due_before={due_soon_until().isoformat()}",
                _("Nothing falls due in the next three working days."),
            ),
            _list(
                user,
                "escalations",
                _("Escalations"),
                escalations(user),
                reverse("cases:escalations"),
                _("No escalation is open."),
            ),
            _list(
                user,
                "payouts",
                _("Payments to confirm (second person)"),
                payouts_to_confirm(user),
                "",
                _("No payment is waiting for a second person."),
            ),
        ]
        landing.team = team_load(user)
    return landing
