"""The workflow rows, history and deadlines of the planned cases, written with COPY."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from accounts.choices import WithdrawalGround
from accounts.models import Region
from bench.copy import Copier
from bench.volume.model import CasePlan, LedgerLine, Options, Report, at, money
from bench.volume.people import phone_number
from cases.models import CaseEvent, Deadline, DeadlineReminder
from family_pool.models import Binding
from transfers.choices import MoneyMode, TransferType
from transfers.models import Transfer
from withdrawals.models import EmergencyRefund, Withdrawal


class CaseRows:
    """Part of the generator: everything written per planned case but the case row."""

    o: Options
    rng: random.Random
    n: int
    report: Report
    plans: list[CasePlan]
    names: list[str]
    index_of: list[int]
    prefectures: list[Region]
    staff: list[dict[str, int]]
    user_of: dict[int, int]
    account_of: dict[tuple[int, str], int]
    base: dict[str, int]
    person_id: int

    def _copy(self, model: type[Any], names: tuple[str, ...]) -> Copier:
        raise NotImplementedError

    def case_id(self, c: int) -> int:
        raise NotImplementedError

    def account_id(self, p: int, role: str = "home") -> int:
        raise NotImplementedError

    def person_number(self, p: int) -> str:
        raise NotImplementedError

    def _in_transit(self, person: int) -> int:
        raise NotImplementedError

    def _ledger_of(self, a: int) -> list[LedgerLine]:
        raise NotImplementedError

    def _balance_parts(self, lines: list[LedgerLine]) -> tuple[int, int]:
        raise NotImplementedError

    def _workflows(self) -> int:
        rows = self._transfer_rows() + self._withdrawal_rows() + self._refund_rows()
        return rows + self._binding_rows()

    def _transfer_rows(self) -> int:
        names = (
            "case_id",
            "state",
            "transfer_type",
            "origin_region_id",
            "destination_region_id",
            "contact_phone",
            "money_mode",
            "amount_in_transit",
            "paused_from",
            "applied_on",
            "accepted_on",
            "transferred_out_on",
            "transferred_in_on",
            "credited_on",
            "completed_on",
            "closed_on",
            "origin_account_id",
            "destination_account_id",
        )
        with self._copy(Transfer, names) as out:
            for c, plan in enumerate(self.plans):
                if plan.kind != "transfer":
                    continue
                d, p = plan.detail, plan.person
                employee = d["type"] == TransferType.EMPLOYEE
                moved = "transferred_out_on" in d
                transit = self._in_transit(p) if moved and employee else 0
                in_transit = 0 if plan.state == "completed" else transit
                mode = (MoneyMode.MOVE if transit else MoneyMode.NONE) if moved else ""
                out.add(
                    self.case_id(c),
                    plan.state,
                    d["type"],
                    self.prefectures[plan.agency].code,
                    self.prefectures[plan.other_agency or 0].code,
                    phone_number(self.index_of[p]),
                    mode,
                    money(in_transit),
                    d.get("paused_from", ""),
                    plan.created,
                    d.get("accepted_on"),
                    d.get("transferred_out_on"),
                    d.get("transferred_in_on"),
                    d.get("completed_on") if transit else None,
                    d.get("completed_on"),
                    plan.closed,
                    self.account_id(p) if employee and "accepted_on" in d else None,
                    self.account_id(p, "destination")
                    if employee and plan.state == "completed"
                    else None,
                )
        return out.rows

    def _withdrawal_rows(self) -> int:
        names = (
            "case_id",
            "state",
            "ground",
            "account_id",
            "heir_name",
            "heir_id_number",
            "payee_name",
            "bank_name",
            "bank_account",
            "individual_part",
            "employer_part",
            "fee",
            "payout_amount",
            "paid_at",
        )
        with self._copy(Withdrawal, names) as out:
            for c, plan in enumerate(self.plans):
                if plan.kind != "withdrawal":
                    continue
                p, d = plan.person, plan.detail
                heir_name = heir_number = ""
                payee = self.names[p]
                if d["ground"] == WithdrawalGround.DEATH:
                    heir = (p + 1) % self.n
                    heir_name, heir_number, payee = (
                        self.names[heir],
                        self.person_number(heir),
                        self.names[heir],
                    )
                paid: list[Any] = [None, None, None, None, None]
                if "paid_on" in d:
                    balance, employer = self._balance_parts(
                        self._ledger_of(self.account_of[p, "home"])
                    )
                    employer = min(balance, employer)
                    paid = [
                        money(balance - employer),
                        money(employer),
                        Decimal("0.00"),
                        money(balance),
                        at(d["paid_on"], 7200),
                    ]
                out.add(
                    self.case_id(c),
                    plan.state,
                    d["ground"],
                    self.account_id(p),
                    heir_name,
                    heir_number,
                    payee,
                    "中国工商银行",
                    f"6222{self.index_of[p]:015d}",
                    *paid,
                )
        return out.rows

    def _refund_rows(self) -> int:
        names = (
            "case_id",
            "state",
            "account_id",
            "hospital",
            "treated_on",
            "amount",
            "approved_amount",
            "credited_at",
        )
        with self._copy(EmergencyRefund, names) as out:
            for c, plan in enumerate(self.plans):
                if plan.kind != "emergency_refund":
                    continue
                d = plan.detail
                approved = plan.state in ("approved", "credited")
                out.add(
                    self.case_id(c),
                    plan.state,
                    self.account_id(plan.person),
                    f"{self.prefectures[plan.agency].name}人民医院",
                    plan.created - datetime.timedelta(days=3),
                    money(d["amount"]),
                    money(d["approved"]) if approved else None,
                    at(d["credited_on"], 3600) if "credited_on" in d else None,
                )
        return out.rows

    def _binding_rows(self) -> int:
        names = (
            "case_id",
            "holder_id",
            "holder_account_id",
            "relative_id",
            "relation",
            "state",
            "initiated_by",
            "holder_consent_at",
            "quota",
            "activated_at",
            "ended_at",
        )
        with self._copy(Binding, names) as out:
            for c, plan in enumerate(self.plans):
                if plan.kind != "family_binding":
                    continue
                d = plan.detail
                activated = d.get("activated_on")
                consent = activated if d["initiated_by"] == "relative" and activated else None
                out.add(
                    self.case_id(c),
                    self.person_id + plan.person,
                    self.account_id(plan.person),
                    self.person_id + d["relative"],
                    d["relation"],
                    plan.state,
                    d["initiated_by"],
                    None if consent is None else at(consent, 600),
                    None if d["quota"] is None else money(d["quota"]),
                    None if activated is None else at(activated, 600),
                    None if plan.closed is None or plan.state == "active" else at(plan.closed, 900),
                )
        return out.rows

    # --- history and deadlines ---------------------------------------------------------------

    def _events(self) -> int:
        base = self.base["cases.CaseEvent"]
        number = 0
        with self._copy(
            CaseEvent,
            (
                "id",
                "case_id",
                "at",
                "actor_id",
                "actor_label",
                "action",
                "from_state",
                "to_state",
                "reason",
            ),
        ) as out:
            for c, plan in enumerate(self.plans):
                staff = self.staff[plan.agency]
                for e, (action, before, after, day) in enumerate(plan.events):
                    number += 1
                    filed_online = action == "filed" and plan.online
                    actor = (
                        self.user_of.get(plan.person)
                        if filed_online
                        else staff[
                            "reviewer"
                            if action in ("approve",) and plan.kind == "withdrawal"
                            else "clerk"
                        ]
                    )
                    out.add(
                        base + number,
                        self.case_id(c),
                        at(day, c % 20_000 + e * 60),
                        actor,
                        "",
                        action,
                        before,
                        after,
                        "",
                    )
                for d in plan.deadlines:
                    number += 1
                    out.add(
                        base + number,
                        self.case_id(c),
                        at(d.started_on, c % 20_000 + 30),
                        None,
                        "system",
                        "deadline_started",
                        "",
                        "",
                        f"{d.step} due on {d.due_on}",
                    )
        return out.rows

    def _deadlines(self) -> int:
        base = self.base["cases.Deadline"]
        number = 0
        sent: list[tuple[int, str, datetime.date]] = []
        with self._copy(
            Deadline,
            (
                "id",
                "case_id",
                "step",
                "working_days",
                "started_on",
                "due_on",
                "provisional",
                "status",
                "remaining_days",
                "paused_on",
                "next_sweep_on",
                "met_at",
                "created_at",
            ),
        ) as out:
            for c, plan in enumerate(self.plans):
                for d in plan.deadlines:
                    number += 1
                    out.add(
                        base + number,
                        self.case_id(c),
                        d.step,
                        d.working_days,
                        d.started_on,
                        d.due_on,
                        d.provisional,
                        d.status,
                        d.remaining_days,
                        d.paused_on,
                        d.next_sweep_on,
                        None if d.met_on is None else at(d.met_on, 4000),
                        at(d.started_on, 30),
                    )
                    sent += [(base + number, kind, day) for kind, day in d.sent]
        reminder_base = self.base["cases.DeadlineReminder"]
        with self._copy(
            DeadlineReminder, ("id", "deadline_id", "kind", "sent_on", "created_at", "notified_at")
        ) as reminders:
            for r, (deadline, kind, day) in enumerate(sent):
                # Sent in the past: told as well, so the fan-out has nothing left of them.
                reminders.add(reminder_base + r + 1, deadline, kind, day, at(day, 10), at(day, 10))
        self.report.counts["deadline reminders"] = reminders.rows
        return out.rows
