"""办理进度 for the applicant: 收件 → 转出 → 转入 → 个账入账 → 办结, each step with the day it was
done or the day it is expected, from the day of submission; who must do what next; and the
limits those days come from (43号文: 10 working days to transfer out, 5 to transfer in, 15 in
all; a region's own when shorter).

Before acceptance no clock runs yet (`_start_origin_clocks` starts them on 受理): the expected
days are counted from the day of submission, as the agency's clocks would count them if it
accepted that day. Once the clocks run, the deadline rows say it. While the agency waits for
documents (补件) the clocks stand still, and no day can be promised."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Region
from accounts.policy import NATIONAL_DEFAULTS, policy_for
from cases.calendar import add_working_days
from cases.models import Case, Deadline, DeadlineStep
from cases.workflow import today
from transfers.choices import MoneyMode
from transfers.models import Transfer

S = Transfer.State


@dataclass(frozen=True)
class Limits:
    """Working days each end has, the statutory limit or the region's if shorter."""

    origin: int
    destination: int
    total: int


def transfer_limits(origin: Region, destination: Region) -> Limits:
    national = NATIONAL_DEFAULTS
    at_origin, at_destination = policy_for(origin), policy_for(destination)
    return Limits(
        origin=min(national.transfer_origin_days, at_origin.transfer_origin_days),
        destination=min(
            national.transfer_destination_days, at_destination.transfer_destination_days
        ),
        total=min(national.transfer_total_days, at_origin.transfer_total_days),
    )


@dataclass(frozen=True)
class Expected:
    on: datetime.date
    provisional: bool = False


@dataclass(frozen=True)
class Expectations:
    """The day each remaining step is expected; all None while the clocks stand still."""

    out: Expected | None
    later: Expected | None  # transfer-in and credit
    total: Expected | None


TRANSFER_CLOCKS = (
    DeadlineStep.TRANSFER_ORIGIN,
    DeadlineStep.TRANSFER_DESTINATION,
    DeadlineStep.TRANSFER_TOTAL,
)


def _from_row(row: Deadline | None) -> Expected | None:
    return Expected(row.due_on, row.provisional) if row is not None else None


def expectations(transfer: Transfer, limits: Limits | None = None) -> Expectations:
    if transfer.state == S.DOCUMENTS_REQUESTED:
        return Expectations(None, None, None)
    # The transfer's own clocks; the intake limit (已收件) runs before them and promises less.
    rows = {d.step: d for d in transfer.case.deadlines.all() if d.step in TRANSFER_CLOCKS}
    if rows:
        later = rows.get(DeadlineStep.TRANSFER_DESTINATION) or rows.get(DeadlineStep.TRANSFER_TOTAL)
        return Expectations(
            _from_row(rows.get(DeadlineStep.TRANSFER_ORIGIN)),
            _from_row(later),
            _from_row(rows.get(DeadlineStep.TRANSFER_TOTAL)),
        )
    limits = limits or transfer_limits(transfer.origin_region, transfer.destination_region)
    out = add_working_days(transfer.applied_on, limits.origin)
    total = add_working_days(transfer.applied_on, limits.total)
    return Expectations(
        Expected(out.date, out.provisional),
        Expected(total.date, total.provisional),
        Expected(total.date, total.provisional),
    )


def expected_completions(cases: Sequence[Case]) -> dict[int, tuple[datetime.date, bool]]:
    """For the applicant's list (cases.registry): when each transfer is expected to be done,
    counted from submission while no clock runs yet."""
    rows = (
        Transfer.objects.filter(case__in=cases)
        .select_related("case", "origin_region", "destination_region")
        .prefetch_related("case__deadlines")
    )
    limits: dict[tuple[str, str], Limits] = {}
    found = {}
    for transfer in rows:
        pair = (transfer.origin_region_id, transfer.destination_region_id)
        if pair not in limits:
            limits[pair] = transfer_limits(transfer.origin_region, transfer.destination_region)
        total = expectations(transfer, limits[pair]).total
        if total is not None:
            found[transfer.case_id] = (total.on, total.provisional)
    return found


def agency_must_act_by(transfer: Transfer) -> Expected | None:
    """The day by which the origin agency must have transferred the application out: what the
    "received" message promises."""
    return expectations(transfer).out


@dataclass(frozen=True)
class ProgressStep:
    """One step of the step bar (templates/ui/stepbar.html): `status` is done, current,
    overdue or upcoming; `date` the day done or expected; `note` what else to say."""

    label: str
    done_on: datetime.date | None
    expected_on: datetime.date | None = None
    provisional: bool = False
    not_applicable: str = ""
    waiting: bool = False  # the clocks stand still: waiting for the applicant's documents
    status: str = "upcoming"

    @property
    def date(self) -> datetime.date | None:
        return self.done_on or self.expected_on

    @property
    def note(self) -> str:
        if self.not_applicable:
            return self.not_applicable
        if self.waiting:
            return _("waiting for your documents")
        return ""


def progress_steps(transfer: Transfer) -> list[ProgressStep]:
    """Each step with its date when done, else the day expected."""
    expected = expectations(transfer)
    # Only a moved balance is credited at the destination; otherwise say what happened.
    moved = transfer.money_mode in (MoneyMode.UNDECIDED, MoneyMode.MOVE)
    credit_na = "" if moved else str(MoneyMode(transfer.money_mode).label)
    waiting = transfer.state == S.DOCUMENTS_REQUESTED
    plan = [
        (pgettext("progress step", "Application received"), transfer.applied_on, None),
        (pgettext("progress step", "Transfer out"), transfer.transferred_out_on, expected.out),
        (pgettext("progress step", "Transfer in"), transfer.transferred_in_on, expected.later),
        (pgettext("progress step", "Account credited"), transfer.credited_on, expected.later),
        (pgettext("progress step", "Completed"), transfer.completed_on, expected.total),
    ]
    closed = transfer.case.closed_at is not None
    steps: list[ProgressStep] = []
    for index, (label, done, due) in enumerate(plan):
        expected_on = due.on if due is not None and done is None else None
        skipped = bool(credit_na) and index == 3
        steps.append(
            ProgressStep(
                label=label,
                done_on=done,
                expected_on=None if skipped else expected_on,
                provisional=bool(due and due.provisional and done is None and not skipped),
                not_applicable=credit_na if index == 3 else "",
                waiting=waiting and done is None,
                status=_status(done, expected_on, skipped, closed, steps),
            )
        )
    return steps


def _status(
    done: datetime.date | None,
    expected_on: datetime.date | None,
    skipped: bool,
    closed: bool,
    before: list[ProgressStep],
) -> str:
    """Done; else the first step not done is the one in progress (overdue past its day)."""
    if done is not None:
        return "done"
    if skipped or closed or any(s.status in ("current", "overdue") for s in before):
        return "upcoming"
    if expected_on is not None and expected_on < today():
        return "overdue"
    return "current"


def _day(expected: Expected | None) -> str:
    return expected.on.isoformat() if expected is not None else "—"


def next_step(transfer: Transfer) -> str:
    """下一步: who must do what next, said to the applicant."""
    expected = expectations(transfer)
    values = {
        "origin": transfer.case.agency.name,
        "destination": transfer.case.other_agency.name if transfer.case.other_agency else "",
        "out": _day(expected.out),
        "later": _day(expected.later),
    }
    lines = {
        S.APPLIED: _(
            "%(origin)s checks your application and, once it is accepted, transfers your "
            "insurance out by %(out)s. You need do nothing now."
        ),
        S.DOCUMENTS_REQUESTED: _(
            "You: send the documents the agency asks for (see below). The case continues as "
            "soon as they arrive."
        ),
        S.ACCEPTED: _("%(origin)s transfers your insurance out by %(out)s."),
        S.OUT_PREPARED: _("%(origin)s transfers your insurance out by %(out)s."),
        S.TRANSFERRED_OUT: _("%(destination)s takes your insurance in by %(later)s."),
        S.TRANSFERRED_IN: _("%(destination)s credits the balance to your account by %(later)s."),
        S.CREDIT_PREPARED: _("%(destination)s credits the balance to your account by %(later)s."),
        S.RECONCILIATION: _(
            "%(destination)s is checking the amount received against the information table; "
            "it will tell you the result."
        ),
        S.COMPLETED: _("Your transfer is complete. Nothing more to do."),
        S.RETURNED: _("The balance went back to your account in the origin. Nothing more to do."),
        S.REFUSED: _("Your application was not accepted; the reasons are below."),
        S.CANCELLED: _("You cancelled this application."),
    }
    return lines.get(transfer.state, "") % values
