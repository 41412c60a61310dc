"""Reads scoped to who is asking: an applicant sees their own cases, staff their agency's."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import F, Model, Q, QuerySet
from django.http import Http404

from accounts.models import User
from cases.assignment import assignee_at
from cases.documents import document_choices
from cases.forms import DocumentForm, NoteForm
from cases.models import (
    Case,
    CaseEvent,
    CaseKind,
    Deadline,
    DeadlineStep,
    Document,
    Notification,
)
from cases.people import who
from cases.registry import expected_completion_of
from cases.roles import works_on
from cases.workflow import today

M = TypeVar("M", bound=Model)

# The roles that hold cases (cases.roles.CASE_WORK_PERMISSIONS, as groups).
CASE_ROLES = ("clerk", "reviewer", "supervisor")

# A withdrawal staff have not yet looked at (Withdrawal.State.SUBMITTED; cases imports no app).
UNVERIFIED_STATE = "submitted"


def is_staff_member(user: User) -> bool:
    """Staff of an agency whose role reads its cases. A system administrator may belong to an
    agency too, but runs users, regions and policies: no case data (docs/DOMAIN.md, roles)."""
    return bool(
        user.is_authenticated and user.agency_id is not None and user.has_perm("cases.view_case")
    )


def cases_visible_to(user: User) -> QuerySet[Case]:
    if not user.is_authenticated:
        return Case.objects.none()
    if user.person_id is not None:
        # Their own cases, and those they filed for someone else (an heir for the deceased)
        # once staff have verified the death and the heir: before that, the case would tell
        # whoever filed it that the person they named has an open account.
        unverified = Q(kind=CaseKind.WITHDRAWAL, state=UNVERIFIED_STATE)
        return Case.objects.filter(
            Q(person_id=user.person_id) | (Q(applicant_id=user.pk) & ~unverified)
        )
    if user.agency_id is not None:
        if not is_staff_member(user):
            return Case.objects.none()
        return Case.objects.filter(Q(agency_id=user.agency_id) | Q(other_agency_id=user.agency_id))
    if user.is_superuser:
        return Case.objects.all()
    return Case.objects.none()


def rows_of_visible_cases(user: User, rows: QuerySet[M], case_path: str) -> QuerySet[M]:
    """The rows (of any model linked to a case through `case_path`, "" for Case itself) whose
    case this user may see: the admin shows staff their own agency's cases only, as the case
    pages do."""
    lookup = f"{case_path}__in" if case_path else "pk__in"
    return rows.filter(**{lookup: cases_visible_to(user)})


def cases_of_applicant(user: User) -> QuerySet[Case]:
    """Every case of an applicant, of every kind, newest first; none for staff."""
    if not user.is_authenticated or user.person_id is None:
        return Case.objects.none()
    return (
        cases_visible_to(user)
        .select_related("person", "agency", "other_agency")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class Completion:
    """When an open case is expected to be done: a day, or waiting for the applicant."""

    on: datetime.date | None
    provisional: bool = False
    waiting_for_documents: bool = False


def expected_completions(cases: Sequence[Case]) -> dict[int, Completion]:
    """For the applicant's list: each open case's last running limit (the whole transfer, the
    review, the refund), or what its kind registered; one query per kind on the page."""
    open_cases = [c for c in cases if c.closed_at is None]
    found: dict[int, Completion] = {}
    # A running intake limit (accept or refuse) is when a decision is due, not when the case
    # is done; paused, it still says the case waits for documents.
    rows = (
        Deadline.objects.filter(
            case__in=open_cases, status__in=[Deadline.Status.OPEN, Deadline.Status.PAUSED]
        )
        .exclude(step=DeadlineStep.INTAKE, status=Deadline.Status.OPEN)
        .order_by("due_on")
    )
    for row in rows:
        paused = row.status == Deadline.Status.PAUSED
        found[row.case_id] = Completion(
            None if paused else row.due_on, row.provisional, waiting_for_documents=paused
        )
    by_kind: dict[str, list[Case]] = {}
    for case in open_cases:
        by_kind.setdefault(case.kind, []).append(case)
    for kind, of_kind in by_kind.items():
        expected = expected_completion_of(kind)
        if expected is not None:
            for pk, (day, provisional) in expected(of_kind).items():
                found.setdefault(pk, Completion(day, provisional))
    return found


def case_for(user: User, case_id: int) -> Case:
    """The case if this user may see it; a 404 otherwise, so that a stranger cannot even
    learn that the case exists."""
    case = (
        cases_visible_to(user)
        .select_related("person", "agency", "other_agency", "applicant")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    return case


def work_queue(
    user: User,
    *,
    kind: str = "",
    state: str = "",
    assignee: str = "",
    due_before: datetime.date | None = None,
    overdue_only: bool = False,
) -> QuerySet[Case]:
    """Open cases the user's agency can act on now (`Case.acting_agency`), soonest deadline
    first. `assignee` is "me", "unassigned" or a user id, at the user's own agency."""
    if user.agency_id is None or not is_staff_member(user):
        return Case.objects.none()
    rows = Case.objects.filter(closed_at__isnull=True, acting_agency_id=user.agency_id)
    rows = queue_filters(
        rows,
        user,
        kind=kind,
        state=state,
        assignee=assignee,
        due_before=due_before,
        overdue_only=overdue_only,
    )
    return rows.select_related(*QUEUE_RELATED).order_by(*QUEUE_ORDER)


def in_progress_elsewhere(user: User) -> QuerySet[Case]:
    """Open cases of the user's agency whose next step is the other agency's (a transfer at
    its other end), soonest deadline first."""
    if user.agency_id is None or not is_staff_member(user):
        return Case.objects.none()
    return (
        cases_visible_to(user)
        .filter(closed_at__isnull=True, acting_agency__isnull=False)
        .exclude(acting_agency_id=user.agency_id)
        .select_related(*QUEUE_RELATED)
        .order_by(*QUEUE_ORDER)
    )


QUEUE_RELATED = ("person", "agency", "other_agency", "assignee", "other_assignee")
QUEUE_ORDER = (F("due_on").asc(nulls_last=True), "-created_at", "-id")


def held_by(user: User, holder_id: int | None) -> Q:
    """Cases held at the user's agency by this user id (None: by nobody): each end of a
    transfer has its own assignee."""
    here, there = Q(agency_id=user.agency_id), Q(other_agency_id=user.agency_id)
    if holder_id is None:
        return (here & Q(assignee__isnull=True)) | (~here & there & Q(other_assignee__isnull=True))
    return (here & Q(assignee_id=holder_id)) | (~here & there & Q(other_assignee_id=holder_id))


def queue_filters(
    rows: QuerySet[Case],
    user: User,
    *,
    kind: str,
    state: str,
    assignee: str,
    due_before: datetime.date | None,
    overdue_only: bool,
) -> QuerySet[Case]:
    if kind:
        rows = rows.filter(kind=kind)
    if state:
        rows = rows.filter(state=state)
    if assignee == "me":
        rows = rows.filter(held_by(user, user.pk))
    elif assignee == "unassigned":
        rows = rows.filter(held_by(user, None))
    elif assignee.isdigit():
        rows = rows.filter(held_by(user, int(assignee)))
    if due_before is not None:
        rows = rows.filter(due_on__lte=due_before)
    if overdue_only:
        rows = rows.filter(due_on__lt=today())
    return rows


def colleagues_of(user: User) -> list[tuple[int, str]]:
    """Active staff of the user's agency who handle cases, by name and role, for the queue's
    "assigned to" filter and the supervisor's assignment."""
    if user.agency_id is None:
        return []
    rows = (
        User.objects.filter(agency_id=user.agency_id, is_active=True)
        .filter(groups__name__in=CASE_ROLES)
        .distinct()
        .prefetch_related("groups")
        .order_by("last_name", "first_name", "username")
    )
    return [(u.pk, who(u)) for u in rows]


@dataclass(frozen=True)
class AssignPanel:
    """Who holds the case at the user's agency, and what the user may do about it: claim it,
    or (a supervisor) give it to a colleague."""

    holder: User | None
    can_claim: bool
    colleagues: list[tuple[int, str]]


def assign_panel(user: User, case: Case) -> AssignPanel | None:
    """The case page's "assigned to" line; None for whoever does not work on the case."""
    if not is_staff_member(user) or not works_on(user, case):
        return None
    holder = assignee_at(case, user.agency_id)
    open_case = case.closed_at is None
    supervises = open_case and user.has_perm("cases.sign_off_case")
    holder_id = holder.pk if holder is not None else None
    return AssignPanel(
        holder=holder,
        can_claim=open_case and holder_id != user.pk,
        colleagues=[c for c in colleagues_of(user) if c[0] != holder_id] if supervises else [],
    )


def case_timeline(case: Case) -> QuerySet[CaseEvent]:
    return (
        case.events.select_related("actor__person")
        .prefetch_related("actor__groups")
        .order_by("at", "id")
    )


def case_documents(case: Case) -> QuerySet[Document]:
    return case.documents.select_related("uploaded_by").order_by("uploaded_at", "id")


def case_deadlines(case: Case) -> QuerySet[Deadline]:
    return case.deadlines.order_by("due_on", "id")


def inbox_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(
        recipient=user, channel=Notification.Channel.INBOX
    ).select_related("case")


def document_for(user: User, document_id: int) -> Document:
    """A document of a case the user applied for or works on. Scans of ID cards and bank
    cards are for the case's people only: an administrator without an agency sees none."""
    cases = cases_visible_to(user) if user.person_id or user.agency_id else Case.objects.none()
    document = (
        Document.objects.filter(pk=document_id, case__in=cases).select_related("case").first()
    )
    if document is None:
        raise Http404
    return document


def case_page_context(user: User, case: Case) -> dict[str, object]:
    """What the shared parts of every case page show: history, documents, deadlines and the
    forms to add a document or a note."""
    staff = is_staff_member(user)
    can_upload = case.closed_at is None and (
        user.person_id == case.person_id
        or (user.person_id is not None and case.applicant_id == user.pk)
        or (staff and user.has_perm("cases.process_case"))
    )
    return {
        "case": case,
        "events": case_timeline(case),
        "documents": case_documents(case),
        "deadlines": case_deadlines(case),
        "can_upload": can_upload,
        "document_form": DocumentForm(kinds=document_choices(case)),
        "note_form": NoteForm() if staff else None,
    }
