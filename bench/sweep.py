"""Issue #7 item 2.3: the deadline sweep (`cases.reminders.deadlines_sweep`) with about 1% of
the deadline rows due, beside one raw SQL statement claiming the same rows; then the same
with ten times the rows and the same due rows, to show that its cost follows the due rows.

The sweep only claims (reminder rows inserted, next sweep days advanced); the staff are told
by the fan-out (`cases.reminders.reminders_fan_out`), a separate task run after it. Its time,
measured after a sweep in the same savepoint, is reported on a row of its own: it is not
part of the sweep's figure and has no reference.

Everything runs in one transaction that is rolled back at the end, each run in a savepoint
rolled back after it, so the runs repeat on the same data and the volume stays as it was.
The tenfold table is made inside that transaction: nine copies of every row that is not due
(the unique (case, step) constraint dropped for the copies, restored by the rollback)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from bench.core import Options, Row, register

# The whole statement the sweep is measured against: claim the due rows as the sweep's first
# query does (skipping rows another sweep holds) and mark them swept.
CLAIM_SQL = """
    UPDATE cases_deadline SET next_sweep_on = NULL
    WHERE id IN (
        SELECT id FROM cases_deadline
        WHERE status = 'open' AND next_sweep_on <= %s
        ORDER BY next_sweep_on, id
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id
"""


def _scalar(sql: str, params: list[Any]) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _in_savepoint(work: Callable[[], Any]) -> tuple[float, Any]:
    """Run `work` in a savepoint rolled back afterwards; its wall time and result."""
    savepoint = transaction.savepoint()
    try:
        started = time.perf_counter()
        result = work()
        return time.perf_counter() - started, result
    finally:
        transaction.savepoint_rollback(savepoint)


def _count_queries(work: Callable[[], Any]) -> int:
    count = 0

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        work()
    return count


def _claim(on: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, [on])
        return len(cursor.fetchall())


def _measure(label: str, on: Any, options: Options) -> list[Row]:
    from cases.reminders import deadlines_sweep

    total = _scalar("SELECT count(*) FROM cases_deadline", [])
    due = _scalar(
        "SELECT count(*) FROM cases_deadline WHERE status = 'open' AND next_sweep_on <= %s", [on]
    )
    repeat = max(1, min(options.repeat, 5))
    _in_savepoint(lambda: deadlines_sweep(on=on))  # warm-up: caches, calendar, plans
    sweeps = [_in_savepoint(lambda: deadlines_sweep(on=on)) for _ in range(repeat)]
    examined = {result.examined for _t, result in sweeps}
    assert examined == {due}, (examined, due)
    queries = _count_queries(lambda: _in_savepoint(lambda: deadlines_sweep(on=on)))
    _in_savepoint(lambda: _claim(on))
    claims = [_in_savepoint(lambda: _claim(on)) for _ in range(repeat)]
    assert {n for _t, n in claims} == {due}
    fan_outs = [_in_savepoint(lambda: _fan_out_after_sweep(on)) for _ in range(repeat)]
    fan_out_times = sorted(t for (_t, (t, _r, _n)) in fan_outs)
    _t, (_f, told, written) = fan_outs[0]
    sweep_times = sorted(t for t, _r in sweeps)
    claim_times = sorted(t for t, _n in claims)
    reference = claim_times[len(claim_times) // 2]
    return [
        Row(
            "2.3",
            f"deadline sweep, {label}",
            sweep_times[len(sweep_times) // 2],
            sweep_times[0],
            sweep_times[-1],
            target=3 * reference,
            note=f"{due} due of {total} rows",
            queries=queries,
        ),
        Row(
            "2.3",
            f"  reference: one UPDATE claiming the same rows, {label}",
            reference,
            claim_times[0],
            claim_times[-1],
            note="target of the sweep: 3× this",
            queries=1,
        ),
        Row(
            "2.3",
            f"  reminder fan-out after the sweep (separate task), {label}",
            fan_out_times[len(fan_out_times) // 2],
            fan_out_times[0],
            fan_out_times[-1],
            note=f"{told.examined} reminders claimed, {written} notifications and history rows",
        ),
    ]


def _fan_out_after_sweep(on: Any) -> tuple[float, Any, int]:
    """Sweep (untimed), then the fan-out of what it claimed, timed: its time, its result and
    the rows it wrote (outbox and escalation history)."""
    from cases.models import CaseEvent, Notification
    from cases.reminders import deadlines_sweep, reminders_fan_out

    deadlines_sweep(on=on)
    before = Notification.objects.count() + CaseEvent.objects.count()
    started = time.perf_counter()
    result = reminders_fan_out()
    elapsed = time.perf_counter() - started
    return elapsed, result, Notification.objects.count() + CaseEvent.objects.count() - before


def grow_tenfold(on: Any) -> int:
    """Nine copies of every row not due: ten times the table, the same due rows."""
    from cases.models import Deadline

    columns = ", ".join(f.column for f in Deadline._meta.concrete_fields if f.column != "id")
    with connection.cursor() as cursor:
        # ALTER TABLE waits for no deferred foreign-key check of rows this transaction wrote
        # (a test generates its volume in the same transaction): run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE cases_deadline DROP CONSTRAINT IF EXISTS deadline_one_per_case_step"
        )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            f"INSERT INTO cases_deadline ({columns}) "  # noqa: S608 - column names only
            f"SELECT {columns} FROM cases_deadline, generate_series(1, 9) "
            "WHERE NOT (status = 'open' AND next_sweep_on IS NOT NULL AND next_sweep_on <= %s)",
            [on],
        )
        added = cursor.rowcount
        cursor.execute("ANALYZE cases_deadline")
        # Write the copies' pages out now, so that the sweep measured next does not pay for
        # evicting them from the (small) buffer pool. Needs a superuser: skipped otherwise.
        with transaction.atomic():
            try:
                cursor.execute("CHECKPOINT")
            except DatabaseError:
                transaction.set_rollback(True)
    return int(added)


@register("sweep")
def sweep(options: Options) -> list[Row]:
    from bench.volume import generation_day

    on = generation_day(timezone.localdate())
    rows: list[Row] = []
    with transaction.atomic():
        rows += _measure("1% due", on, options)
        grow_tenfold(on)
        rows += _measure("10× the rows, same due rows", on, options)
        transaction.set_rollback(True)
    return rows
