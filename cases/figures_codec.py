"""The stored figures (`cases.AgencyFigures`) as JSON and back: boards, the forecast's inputs
and baseline, monthly reports. Only keys and numbers are stored; labels (kinds, states) are
written again when read, in the language of the page that reads them."""

from __future__ import annotations

import datetime
from typing import Any

from cases.dashboard import Board, KindRate, StaffLoad, StateCount, Week
from cases.forecast import Breach, QueuedCase, Stage, StagePace
from cases.monthly import MonthlyReport, ReportRow
from cases.registry import kind_label, state_label

Json = dict[str, Any]


def board_json(board: Board) -> Json:
    return {
        "open": [[r.kind, r.state, r.count] for r in board.open_by_state],
        "weeks": [[w.starts_on.isoformat(), w.filed, w.closed] for w in board.weeks],
        "rates": [[r.kind, r.met, r.on_time] for r in board.rates],
        "due_soon": board.due_soon,
        "overdue": board.overdue,
        "team": [[t.user_id, t.name, t.open, t.overdue, t.steps] for t in board.team],
    }


def board_from(data: Json) -> Board:
    return Board(
        open_by_state=[
            StateCount(k, kind_label(k), s, state_label(k, s), n) for k, s, n in data["open"]
        ],
        weeks=[Week(datetime.date.fromisoformat(d), f, c) for d, f, c in data["weeks"]],
        rates=[KindRate(k, kind_label(k), n, on_time) for k, n, on_time in data["rates"]],
        due_soon=data["due_soon"],
        overdue=data["overdue"],
        team=[StaffLoad(*row) for row in data["team"]],
    )


def queued_json(case: QueuedCase) -> list[Any]:
    due = case.due_on.isoformat() if case.due_on else None
    kind, state = case.stage
    filed = case.filed_at.isoformat()
    return [case.case_id, case.reference, kind, state, filed, due, case.days_left]


def queued_from(row: list[Any]) -> QueuedCase:
    case_id, reference, kind, state, filed_at, due_on, days_left = row
    return QueuedCase(
        case_id,
        reference,
        (kind, state),
        datetime.datetime.fromisoformat(filed_at),
        datetime.date.fromisoformat(due_on) if due_on else None,
        days_left,
    )


def queue_json(cases: list[QueuedCase]) -> Json:
    """The queue by column, in the order the forecast works it: a few long lists of numbers
    and strings, not thousands of small lists, read back several times faster (a list is an
    object the garbage collector tracks, a number or a string is not)."""
    ordered = sorted(cases, key=lambda c: (c.filed_at, c.case_id))
    stages = sorted({c.stage for c in ordered})
    index = {stage: i for i, stage in enumerate(stages)}
    return {
        "stages": [list(stage) for stage in stages],
        "id": [c.case_id for c in ordered],
        "reference": [c.reference for c in ordered],
        "stage": [index[c.stage] for c in ordered],
        "filed_at": [c.filed_at.isoformat() for c in ordered],
        "due_on": [c.due_on.isoformat() if c.due_on else None for c in ordered],
        "days_left": [c.days_left for c in ordered],
    }


def queue_from(data: Json) -> list[QueuedCase]:
    stages: list[Stage] = [(kind, state) for kind, state in data["stages"]]
    days = {d: datetime.date.fromisoformat(d) for d in set(data["due_on"]) if d}
    parse = datetime.datetime.fromisoformat
    return [
        QueuedCase(case_id, reference, stages[stage], parse(filed), days.get(due), left)
        for case_id, reference, stage, filed, due, left in zip(
            data["id"],
            data["reference"],
            data["stage"],
            data["filed_at"],
            data["due_on"],
            data["days_left"],
            strict=True,
        )
    ]


def paces_json(paces: dict[Stage, StagePace]) -> list[Any]:
    return [[k, s, p.done, [[u, n] for u, n in p.by_staff.items()]] for (k, s), p in paces.items()]


def paces_from(rows: list[Any]) -> dict[Stage, StagePace]:
    return {(k, s): StagePace(done, {u: n for u, n in staff}) for k, s, done, staff in rows}


def breach_json(breach: Breach) -> Json:
    return {
        "case": queued_json(breach.case),
        "ahead": breach.ahead,
        "needed": list(breach.needed) if breach.needed is not None else None,
        "done_on": breach.done_on.isoformat() if breach.done_on else None,
        "breaches_on": breach.breaches_on.isoformat(),
    }


def breach_from(data: Json) -> Breach:
    needed, done_on = data["needed"], data["done_on"]
    return Breach(
        queued_from(data["case"]),
        data["ahead"],
        (needed[0], needed[1]) if needed is not None else None,
        datetime.date.fromisoformat(done_on) if done_on else None,
        datetime.date.fromisoformat(data["breaches_on"]),
    )


def _row_json(row: ReportRow) -> list[Any]:
    return [row.key, row.label, row.filed, row.closed, row.on_time, row.missed]


def report_json(report: MonthlyReport) -> Json:
    return {
        "first": report.first_day.isoformat(),
        "last": report.last_day.isoformat(),
        # A kind's label is written again when read; a colleague's is their name.
        "by_kind": [_row_json(r) for r in report.by_kind],
        "by_staff": [_row_json(r) for r in report.by_staff],
        "total": _row_json(report.total),
    }


def report_from(data: Json) -> MonthlyReport:
    return MonthlyReport(
        datetime.date.fromisoformat(data["first"]),
        datetime.date.fromisoformat(data["last"]),
        [ReportRow(k, kind_label(k), *rest) for k, _, *rest in data["by_kind"]],
        [ReportRow(*row) for row in data["by_staff"]],
        ReportRow(*data["total"]),
    )
