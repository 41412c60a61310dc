"""Issue #7 items 2.1 and 2.2: the staff work queue (first and a deep page) and the case pages,
server time and query count, each beside the raw SQL that fetches the same rows.

The view functions are called in-process with a RequestFactory request (no middleware, no
HTTP): the figure is the view's own time, its queries and its template. Each call gets the
user afresh from the database, as the authentication middleware would, so that permission
lookups are counted as a real request makes them. Run on the generated volume
(`manage.py generate_volume`): the busiest agency's clerk, its most common open state."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from bench.core import Options, Row, register, runs
from cases.calendar import current_calendar

TARGET = 0.050
PAGE_SIZE = 25


@dataclass(frozen=True)
class Setup:
    agency_id: int
    clerk_id: int
    state: str
    open_rows: int
    cases: dict[str, tuple[int, int | None]]  # name -> (case id, applicant user id)


def _one(sql: str, params: Sequence[Any] = ()) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row


def setup() -> Setup:
    """The agency with most open cases, its clerk, its most common open state, and one case
    of each kind (and one applicant) to show."""
    agency_id = _one(
        "SELECT agency_id FROM cases_case WHERE closed_at IS NULL "
        "GROUP BY agency_id ORDER BY count(*) DESC LIMIT 1"
    )[0]
    clerk_id = _one(
        "SELECT u.id FROM accounts_user u JOIN accounts_user_groups g ON g.user_id = u.id "
        "JOIN auth_group gr ON gr.id = g.group_id "
        "WHERE u.agency_id = %s AND gr.name = 'clerk' AND u.is_active ORDER BY u.id LIMIT 1",
        [agency_id],
    )[0]
    state, open_rows = _one(
        # Open cases the agency can act on now (what its queue lists; an active binding is not).
        "SELECT state, count(*) FROM cases_case WHERE acting_agency_id = %s "
        "AND closed_at IS NULL GROUP BY state ORDER BY count(*) DESC LIMIT 1",
        [agency_id],
    )
    cases = {}
    for name, kind, states in (
        ("transfer", "transfer", ("transferred_out", "accepted")),
        ("withdrawal", "withdrawal", ("submitted", "first_reviewed")),
        ("emergency refund", "emergency_refund", ("submitted", "approved")),
        ("family-pool binding", "family_binding", ("active", "pending")),
    ):
        row = _one(
            "SELECT id, applicant_id FROM cases_case WHERE agency_id = %s AND kind = %s "
            "AND state = ANY(%s) ORDER BY applicant_id IS NULL, id DESC LIMIT 1",
            [agency_id, kind, list(states)],
        )
        if row is not None:
            cases[name] = (row[0], row[1])
    return Setup(agency_id, clerk_id, state, open_rows, cases)


def _request(path: str, params: dict[str, Any], user_id: int) -> Any:
    from accounts.models import User

    request = RequestFactory().get(path, params)
    request.user = User.objects.get(pk=user_id)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def view_row(
    item: str,
    name: str,
    path: str,
    params: dict[str, Any],
    user_id: int,
    options: Options,
    note: str = "",
) -> Row:
    """The view's time per call (the user fetched before the clock starts) and its queries."""
    match = resolve(path)

    def call() -> float:
        request = _request(path, params, user_id)
        started = time.perf_counter()
        response = match.func(request, *match.args, **match.kwargs)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (path, params, response.status_code)
        return elapsed

    request = _request(path, params, user_id)
    with CaptureQueriesContext(connection) as queries:
        match.func(request, *match.args, **match.kwargs)
    call()  # warm-up: templates compiled, caches filled
    times = [call() for _ in range(options.repeat)]
    return Row(
        item,
        name,
        statistics.median(times),
        min(times),
        max(times),
        target=TARGET,
        note=note,
        queries=len(queries.captured_queries),
    )


def sql_row(
    item: str, name: str, sql: str, params: Sequence[Any], options: Options, note: str
) -> Row:
    def fetch() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    median, low, high = runs(fetch, options=options)
    return Row(item, name, median, low, high, note=note, queries=1)


QUEUE_SQL = """
    SELECT c.*, p.name, p.id_number, a.name, o.name, u.username
    FROM cases_case c
    JOIN accounts_insuredperson p ON p.id = c.person_id
    JOIN accounts_agency a ON a.id = c.agency_id
    LEFT JOIN accounts_agency o ON o.id = c.other_agency_id
    LEFT JOIN accounts_user u ON u.id = c.assignee_id
    WHERE (c.agency_id = %s OR c.other_agency_id = %s) AND c.closed_at IS NULL AND c.state = %s
    ORDER BY c.due_on ASC NULLS LAST, c.created_at DESC, c.id DESC
    LIMIT %s OFFSET %s
"""

# The best one statement can do: keys from the two indexes of open cases, then the rows.
QUEUE_UNION_SQL = """
    SELECT c.*, p.name, p.id_number, a.name, o.name, u.username
    FROM (
        (SELECT id, due_on, created_at FROM cases_case
         WHERE agency_id = %s AND closed_at IS NULL AND state = %s)
        UNION ALL
        (SELECT id, due_on, created_at FROM cases_case
         WHERE other_agency_id = %s AND agency_id <> %s AND closed_at IS NULL AND state = %s)
        ORDER BY due_on ASC NULLS LAST, created_at DESC, id DESC
        LIMIT %s OFFSET %s
    ) k
    JOIN cases_case c ON c.id = k.id
    JOIN accounts_insuredperson p ON p.id = c.person_id
    JOIN accounts_agency a ON a.id = c.agency_id
    LEFT JOIN accounts_agency o ON o.id = c.other_agency_id
    LEFT JOIN accounts_user u ON u.id = c.assignee_id
    ORDER BY k.due_on ASC NULLS LAST, k.created_at DESC, k.id DESC
"""

CASE_SQL = """
    SELECT c.*, p.*, a.name, o.name, w.*
    FROM cases_case c
    JOIN accounts_insuredperson p ON p.id = c.person_id
    JOIN accounts_agency a ON a.id = c.agency_id
    LEFT JOIN accounts_agency o ON o.id = c.other_agency_id
    LEFT JOIN {table} w ON w.case_id = c.id
    WHERE c.id = %s
"""

DETAIL = {
    "transfer": ("transfers:detail", "transfers_transfer"),
    "withdrawal": ("withdrawals:detail", "withdrawals_withdrawal"),
    "emergency refund": ("withdrawals:refund_detail", "withdrawals_emergencyrefund"),
    "family-pool binding": ("family_pool:detail", "family_pool_binding"),
}


def queue_rows(s: Setup, options: Options) -> list[Row]:
    queue = reverse("cases:queue")
    # The queue counts working days left: the process-wide calendar is read once per process
    # (like the compiled templates), not on every page; read it before the counted call.
    day = timezone.localdate()
    current_calendar().load(day.year - 1, day.year + 2)
    # The rows the queue shows: the agency's open cases as origin or destination.
    total = _one(
        "SELECT count(*) FROM cases_case WHERE (agency_id = %s OR other_agency_id = %s) "
        "AND closed_at IS NULL AND state = %s",
        [s.agency_id, s.agency_id, s.state],
    )[0]
    deep = max(1, math.ceil(total * 0.9 / PAGE_SIZE))
    rows = []
    for label, page in (
        ("first page", 1),
        (f"page {deep} of {math.ceil(total / PAGE_SIZE)}", deep),
    ):
        rows.append(
            view_row(
                "2.1",
                f"work queue, {label} (state {s.state})",
                queue,
                {"state": s.state, "page": page},
                s.clerk_id,
                options,
                note=f"{total} open rows match; the agency has {s.open_rows} in this state",
            )
        )
        offset = (page - 1) * PAGE_SIZE
        rows.append(
            sql_row(
                "2.1",
                f"  reference: raw SQL for the same 25 rows ({label})",
                QUEUE_SQL,
                [s.agency_id, s.agency_id, s.state, PAGE_SIZE, offset],
                options,
                note="the obvious statement: agency OR destination, sorted, cut",
            )
        )
        rows.append(
            sql_row(
                "2.1",
                f"  reference: raw SQL, keys from the open-case indexes ({label})",
                QUEUE_UNION_SQL,
                [s.agency_id, s.state, s.agency_id, s.agency_id, s.state, PAGE_SIZE, offset],
                options,
                note="what the page's queries do, in one statement",
            )
        )
    rows.append(
        view_row(
            "2.1",
            "work queue, first page, no filter",
            queue,
            {},
            s.clerk_id,
            options,
            note="every open case of the agency, index only",
        )
    )
    return rows


def case_rows(s: Setup, options: Options) -> list[Row]:
    rows = []
    for name, (case_id, applicant_id) in s.cases.items():
        url_name, table = DETAIL[name]
        path = reverse(url_name, args=[case_id])
        rows.append(view_row("2.2", f"case page: {name}, staff", path, {}, s.clerk_id, options))
        rows.append(
            sql_row(
                "2.2",
                f"  reference: raw SQL for the case row ({name})",
                CASE_SQL.format(table=table),
                [case_id],
                options,
                note="case, person, agencies and workflow row in one statement",
            )
        )
        if name in ("transfer", "withdrawal") and applicant_id is not None:
            rows.append(
                view_row(
                    "2.2",
                    f"applicant's progress page: {name}",
                    path,
                    {},
                    applicant_id,
                    options,
                )
            )
    return rows


def dashboard_rows(s: Setup, options: Options) -> list[Row]:
    """Issue #15: the dashboard with its charts (a clerk's; a supervisor's adds the team's
    load and the forecast), the forecast page with a what-if, the monthly report."""
    row = _one(
        "SELECT u.id FROM accounts_user u JOIN accounts_user_groups g ON g.user_id = u.id "
        "JOIN auth_group gr ON gr.id = g.group_id "
        "WHERE u.agency_id = %s AND gr.name = 'supervisor' AND u.is_active ORDER BY u.id LIMIT 1",
        [s.agency_id],
    )
    rows = [
        view_row("15", "dashboard (clerk)", reverse("cases:dashboard"), {}, s.clerk_id, options)
    ]
    if row is None:
        return rows
    supervisor = row[0]
    member = {"member": s.clerk_id}
    for name, url, params in (
        ("dashboard (supervisor: team and forecast)", reverse("cases:dashboard"), {}),
        ("dashboard (supervisor: one clerk's board)", reverse("cases:dashboard"), member),
        (
            "forecast, what if 5 reassigned and a clerk away 3 days",
            reverse("cases:forecast"),
            {"reassigned": 5, "absent": s.clerk_id, "absent_days": 3},
        ),
        ("monthly statistics report", reverse("cases:report"), {}),
    ):
        rows.append(view_row("15", name, url, params, supervisor, options))
    return rows


ROLE_SQL = (
    "SELECT u.id FROM accounts_user u JOIN accounts_user_groups g ON g.user_id = u.id "
    "JOIN auth_group gr ON gr.id = g.group_id "
    "WHERE u.agency_id = %s AND gr.name = %s AND u.is_active ORDER BY u.id LIMIT 1"
)


def landing_rows(s: Setup, options: Options) -> list[Row]:
    """Issue #15: each role's landing page (the staff home with the role's work lists), for
    the first member of that role at the busiest agency."""
    rows = []
    for role in ("clerk", "reviewer", "supervisor", "auditor"):
        found = _one(ROLE_SQL, [s.agency_id, role])
        if found is not None:
            name = f"landing page ({role})"
            rows.append(view_row("15", name, reverse("accounts:home"), {}, found[0], options))
    return rows


@register("pages")
def pages(options: Options) -> list[Row]:
    s = setup()
    return (
        queue_rows(s, options)
        + case_rows(s, options)
        + landing_rows(s, options)
        + dashboard_rows(s, options)
    )
