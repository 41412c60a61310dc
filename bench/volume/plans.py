"""Which persons apply for what, and each case's history and clocks, decided before any
row is written (the ledger depends on them: a transfer moves the balance, a payout empties
the account). About one deadline in a hundred is placed so that it is due today."""

from __future__ import annotations

import datetime
import random
from array import array

from accounts.choices import WithdrawalGround
from accounts.models import Region
from bench.volume.model import CasePlan, DeadlinePlan, Options, Report, pick
from bench.volume.people import birth_ordinal
from cases.calendar import WorkingCalendar
from cases.models import DeadlineStep
from family_pool.models import Relation
from transfers.choices import TransferType

# Shares of the cases by kind, and of the states within each kind (open states last).
KINDS = {"transfer": 0.40, "withdrawal": 0.25, "emergency_refund": 0.05, "family_binding": 0.30}
TRANSFER_STATES = {
    "completed": 0.62,
    "refused": 0.08,
    "cancelled": 0.05,
    "applied": 0.07,
    "documents_requested": 0.03,
    "accepted": 0.07,
    "transferred_out": 0.05,
    "transferred_in": 0.03,
}
WITHDRAWAL_STATES = {
    "closed": 0.55,
    "refused": 0.10,
    "cancelled": 0.05,
    "submitted": 0.13,
    "waiting_documents": 0.05,
    "first_reviewed": 0.06,
    "approved": 0.03,
    "paid": 0.03,
}
REFUND_STATES = {"credited": 0.70, "refused": 0.10, "submitted": 0.12, "approved": 0.08}
BINDING_STATES = {"active": 0.55, "ended": 0.25, "rejected": 0.08, "pending": 0.12}
GROUNDS = (
    (WithdrawalGround.SERIOUS_ILLNESS, 0.15),
    (WithdrawalGround.LEAVING_SCHEME, 0.30),
    (WithdrawalGround.LIVING_ELSEWHERE, 0.20),
    (WithdrawalGround.DEATH, 0.05),
    (WithdrawalGround.EMIGRATION, 0.10),
    (WithdrawalGround.DESTINATION_REFUSES, 0.10),
    (WithdrawalGround.RELOCATED_RETIREE, 0.10),
)
REMINDER_DAYS_BEFORE = 2


class CasePlanner:
    """Part of the generator: the case plans (`self.plans`)."""

    o: Options
    rng: random.Random
    n: int
    cal: WorkingCalendar
    report: Report
    home: array[int]
    employee: array[int]
    index_of: list[int]
    prefectures: list[Region]
    weights: list[float]

    def _plan_cases(self) -> None:
        rng, n = self.rng, self.n
        total = round(n * self.o.cases_per_person)
        counts = {kind: round(total * share) for kind, share in KINDS.items()}
        people = list(range(n))
        rng.shuffle(people)
        employees = [p for p in people if self.employee[p]]
        self.transfers = people[: counts["transfer"]]
        taken = set(self.transfers)
        free = iter(p for p in employees if p not in taken)
        self.withdrawers = [next(free) for _ in range(counts["withdrawal"])]
        self.refunders = [next(free) for _ in range(counts["emergency_refund"])]
        self.holders = [next(free) for _ in range(counts["family_binding"])]
        self.plans: list[CasePlan] = []
        for people, make in (
            (self.transfers, self._transfer_plan),
            (self.withdrawers, self._withdrawal_plan),
            (self.refunders, self._refund_plan),
            (self.holders, self._binding_plan),
        ):
            for p in people:
                self.plans.append(self._nothing_due_today(make(p)))
        self._mark_due_today()
        rng.shuffle(self.plans)  # ids in filing order would be kinder to caches than reality
        self.plans.sort(key=lambda plan: plan.created)
        self.transfer_of = {plan.person: plan for plan in self.plans if plan.kind == "transfer"}
        self.account_end = {
            plan.person: plan
            for plan in self.plans
            if plan.kind in ("withdrawal", "emergency_refund")
        }

    def _filed(self, open_case: bool) -> datetime.date:
        back = self.rng.randint(0, 12) if open_case else self.rng.randint(25, 1000)
        return self.o.today - datetime.timedelta(days=back)

    def _after(self, day: datetime.date, working_days: int) -> datetime.date:
        return self.cal.add_working_days(day, working_days).date

    def _deadline(
        self, step: str, days: int, start: datetime.date, status: str = "open"
    ) -> DeadlinePlan:
        result = self.cal.add_working_days(start, days)
        plan = DeadlinePlan(step, days, start, result.date, result.provisional, status)
        if status == "open":
            self._schedule(plan)
        return plan

    def _reminder_days(self, plan: DeadlinePlan) -> list[tuple[str, datetime.date]]:
        day, left = plan.due_on, REMINDER_DAYS_BEFORE
        while left > 0:
            day -= datetime.timedelta(days=1)
            left -= self.cal.status(day).working
        return [
            ("before", day),
            ("due", plan.due_on),
            ("overdue", plan.due_on + datetime.timedelta(days=1)),
        ]

    def _schedule(self, plan: DeadlinePlan) -> None:
        """As the sweep would have left it yesterday: what fell due before today was sent."""
        today = self.o.today
        plan.sent = [(kind, day) for kind, day in self._reminder_days(plan) if day < today]
        pending = [day for _kind, day in self._reminder_days(plan) if day >= today]
        plan.next_sweep_on = min(pending) if pending else None

    def _close(self, plan: DeadlinePlan, on: datetime.date, met: bool = True) -> DeadlinePlan:
        plan.status = "met" if met else "cancelled"
        plan.next_sweep_on, plan.sent, plan.met_on = None, [], on
        return plan

    def _pause(self, plan: DeadlinePlan, on: datetime.date) -> DeadlinePlan:
        plan.status, plan.paused_on = "paused", on
        plan.remaining_days = max(1, plan.working_days - 2)
        plan.next_sweep_on, plan.sent = None, []
        return plan

    def _transfer_plan(self, p: int) -> CasePlan:
        rng = self.rng
        state = pick(rng, TRANSFER_STATES)
        origin = self.home[p]
        same_province = rng.random() < 0.7
        candidates = [
            k
            for k, pref in enumerate(self.prefectures)
            if k != origin and (pref.code[:2] == self.prefectures[origin].code[:2]) == same_province
        ] or [k for k in range(len(self.prefectures)) if k != origin]
        destination = rng.choices(candidates, weights=[self.weights[k] for k in candidates])[0]
        open_case = state not in ("completed", "refused", "cancelled")
        filed = self._filed(open_case)
        plan = CasePlan("transfer", p, state, origin, destination, filed, rng.random() < 0.6)
        plan.events.append(("filed", "", "applied", filed))
        plan.detail["type"] = TransferType.EMPLOYEE if self.employee[p] else TransferType.RESIDENT
        if state in ("refused", "cancelled"):
            day = self._after(filed, rng.randint(1, 3))
            action = "cancel" if state == "cancelled" else "refuse"
            plan.events.append((action, "applied", state, day))
            plan.closed = day
            return plan
        if state == "applied" or (state == "documents_requested" and rng.random() < 0.5):
            if state == "documents_requested":
                plan.events.append(("request_documents", "applied", state, filed))
                plan.detail["paused_from"] = "applied"
            return plan
        accepted = filed if open_case else self._after(filed, rng.randint(1, 4))
        plan.detail["accepted_on"] = accepted
        plan.events.append(("accept", "applied", "accepted", accepted))
        origin_clock = self._deadline(DeadlineStep.TRANSFER_ORIGIN, 10, accepted)
        total_clock = self._deadline(DeadlineStep.TRANSFER_TOTAL, 15, accepted)
        plan.deadlines += [origin_clock, total_clock]
        if state == "documents_requested":
            plan.detail["paused_from"] = "accepted"
            plan.events.append(("request_documents", "accepted", state, accepted))
            self._pause(origin_clock, accepted)
            self._pause(total_clock, accepted)
            return plan
        if state == "accepted":
            return plan
        out = accepted if open_case else self._after(accepted, rng.randint(2, 9))
        plan.detail["transferred_out_on"] = out
        plan.events.append(("transfer_out", "accepted", "transferred_out", out))
        self._close(origin_clock, out)
        destination_clock = self._deadline(DeadlineStep.TRANSFER_DESTINATION, 5, out)
        plan.deadlines.append(destination_clock)
        if state == "transferred_out":
            return plan
        arrived = out if open_case else self._after(out, rng.randint(1, 4))
        plan.detail["transferred_in_on"] = arrived
        plan.events.append(("transfer_in", "transferred_out", "transferred_in", arrived))
        if state == "transferred_in":
            return plan
        plan.detail["completed_on"] = arrived
        plan.events.append(("complete", "transferred_in", "completed", arrived))
        self._close(destination_clock, arrived)
        self._close(total_clock, arrived)
        plan.closed = arrived
        return plan

    def _withdrawal_plan(self, p: int) -> CasePlan:
        rng = self.rng
        state = pick(rng, WITHDRAWAL_STATES)
        ground = rng.choices([g for g, _s in GROUNDS], weights=[s for _g, s in GROUNDS])[0]
        open_case = state not in ("closed", "refused", "cancelled")
        filed = self._filed(open_case)
        plan = CasePlan("withdrawal", p, state, self.home[p], None, filed, rng.random() < 0.6)
        plan.detail["ground"] = ground
        plan.events.append(("filed", "", "submitted", filed))
        days = 1 if ground == WithdrawalGround.SERIOUS_ILLNESS else 15
        review = self._deadline(DeadlineStep.REVIEW, days, filed)
        plan.deadlines.append(review)
        if state == "waiting_documents":
            plan.events.append(("request_documents", "submitted", state, filed))
            self._pause(review, filed)
            return plan
        if state == "submitted":
            return plan
        day = filed if open_case else self._after(filed, rng.randint(1, days))
        if state in ("refused", "cancelled"):
            plan.events.append(
                ("refuse" if state == "refused" else "cancel", "submitted", state, day)
            )
            self._close(review, day, met=state == "refused")
            plan.closed = day
            return plan
        plan.events.append(("first_review", "submitted", "first_reviewed", day))
        if state == "first_reviewed":
            return plan
        plan.events.append(("approve", "first_reviewed", "approved", day))
        self._close(review, day)
        if state == "approved":
            return plan
        paid = day if open_case else self._after(day, rng.randint(1, 3))
        plan.detail["paid_on"] = paid
        plan.events.append(("pay", "approved", "paid", paid))
        if state == "closed":
            plan.events.append(("close_account", "paid", "closed", paid))
            plan.closed = paid
        return plan

    def _refund_plan(self, p: int) -> CasePlan:
        rng = self.rng
        state = pick(rng, REFUND_STATES)
        open_case = state in ("submitted", "approved")
        filed = self._filed(open_case)
        plan = CasePlan("emergency_refund", p, state, self.home[p], None, filed, rng.random() < 0.6)
        amount = rng.randint(10_000, 2_000_000)
        plan.detail.update(amount=amount, approved=amount - rng.randint(0, amount // 10))
        plan.events.append(("filed", "", "submitted", filed))
        clock = self._deadline(DeadlineStep.REFUND, 7, filed)
        plan.deadlines.append(clock)
        if state == "submitted":
            return plan
        day = filed if open_case else self._after(filed, rng.randint(1, 6))
        if state == "refused":
            plan.events.append(("refuse", "submitted", "refused", day))
            self._close(clock, day)
            plan.closed = day
            return plan
        plan.events.append(("approve", "submitted", "approved", day))
        if state == "credited":
            plan.detail["credited_on"] = day
            plan.events.append(("credit", "approved", "credited", day))
            self._close(clock, day)
            plan.closed = day
        return plan

    def _binding_plan(self, p: int) -> CasePlan:
        rng = self.rng
        state = pick(rng, BINDING_STATES)
        relative = rng.randrange(self.n - 1)
        relative += relative >= p
        filed = self._filed(state == "pending")
        plan = CasePlan("family_binding", p, state, self.home[p], None, filed, rng.random() < 0.7)
        gap = birth_ordinal(self.index_of[relative]) - birth_ordinal(self.index_of[p])
        years = gap / 365.25
        if years < -40:
            relation = rng.choice([Relation.PATERNAL_GRANDPARENT, Relation.MATERNAL_GRANDPARENT])
        elif years < -18:
            relation = Relation.PARENT
        elif years > 40:
            relation = rng.choice([Relation.PATERNAL_GRANDCHILD, Relation.MATERNAL_GRANDCHILD])
        elif years > 18:
            relation = Relation.CHILD
        else:
            relation = rng.choice([Relation.SPOUSE, Relation.SIBLING])
        plan.detail.update(
            relative=relative,
            relation=relation,
            quota=rng.randint(50_000, 500_000) if rng.random() < 0.3 else None,
            initiated_by=rng.choice(["holder", "relative", "clerk"]),
        )
        plan.events.append(("filed", "", "pending", filed))
        if state == "pending":
            return plan
        day = self._after(filed, rng.randint(0, 3))
        if state == "rejected":
            plan.events.append(("reject", "pending", "rejected", day))
            plan.closed = day
            return plan
        plan.events.append(("approve", "pending", "active", day))
        plan.detail["activated_on"] = day
        if state == "ended":
            ended = day + datetime.timedelta(days=rng.randint(1, 20))
            plan.events.append(("end", "active", "ended", ended))
            plan.closed = ended
        return plan

    def _due_today(self, plan: CasePlan) -> int:
        return sum(d.next_sweep_on == self.o.today for d in plan.deadlines)

    def _nothing_due_today(self, plan: CasePlan) -> CasePlan:
        """Today's sweep work is placed by `_mark_due_today`; a case that happens to have a
        reminder today is filed a day earlier until it has none."""
        for _ in range(10):
            if not self._due_today(plan):
                break
            self._shift(plan, 1)
        return plan

    def _shift(self, plan: CasePlan, back: int) -> None:
        """Move the whole case `back` days into the past, its clocks recomputed."""
        delta = datetime.timedelta(days=back)
        plan.created -= delta
        plan.events = [(a, f, t, day - delta) for a, f, t, day in plan.events]
        for key, value in plan.detail.items():
            if isinstance(value, datetime.date):
                plan.detail[key] = value - delta
        if plan.closed is not None:
            plan.closed -= delta
        for d in plan.deadlines:
            d.started_on -= delta
            result = self.cal.add_working_days(d.started_on, d.working_days)
            d.due_on, d.provisional = result.date, result.provisional
            d.paused_on = None if d.paused_on is None else d.paused_on - delta
            d.met_on = None if d.met_on is None else d.met_on - delta
            if d.status == "open":
                self._schedule(d)

    def _mark_due_today(self) -> None:
        """About one deadline row in a hundred gets something to send today: its case was
        filed so long ago that today is the reminder day, the due day or the day after."""
        today = self.o.today
        wanted = max(1, round(sum(len(plan.deadlines) for plan in self.plans) * 0.01))
        candidates = [
            (plan, d)
            for plan in self.plans
            if plan.closed is None
            for d in plan.deadlines
            if d.status == "open"
        ]
        self.rng.shuffle(candidates)
        due = 0
        for plan, deadline in candidates:
            if due >= wanted:
                break
            if self._due_today(plan):
                continue
            for back in self.rng.sample(range(1, 45), 44):
                start = deadline.started_on - datetime.timedelta(days=back)
                result = self.cal.add_working_days(start, deadline.working_days)
                probe = DeadlinePlan(
                    deadline.step, deadline.working_days, start, result.date, False, "open"
                )
                self._schedule(probe)
                if probe.next_sweep_on == today:
                    self._shift(plan, back)
                    due += self._due_today(plan)
                    break
        self.report.counts["deadlines due today"] = due

    # --- enrollments and accounts -------------------------------------------------------------
