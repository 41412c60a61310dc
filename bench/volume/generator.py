"""The run: places, agencies and staff through the ORM, then persons, enrollments, the
ledger, accounts, applicant users and cases through COPY, in one transaction."""

from __future__ import annotations

import datetime
import functools
import random
import time
from array import array
from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction

from accounts.clearing import clearing_account
from accounts.models import (
    Agency,
    ClearingAccount,
    Enrollment,
    InsuredPerson,
    LedgerEntry,
    LedgerTransaction,
    PersonalAccount,
    Region,
    Scheme,
    User,
)
from bench.copy import Copier, CopyTable
from bench.volume.ledger import LedgerPlanner
from bench.volume.model import LedgerLine, Options, Report, at, money
from bench.volume.people import (
    GIVEN,
    PROVINCES,
    SURNAMES,
    birth_ordinal,
    id_number,
    phone_number,
)
from bench.volume.plans import CasePlanner
from bench.volume.rows import CaseRows
from cases.calendar import WorkingCalendar
from cases.models import Case, CaseEvent, Deadline, DeadlineReminder
from family_pool.models import Binding
from transfers.models import Transfer
from withdrawals.models import EmergencyRefund, Withdrawal

STAFF_ROLES = ("clerk", "reviewer", "supervisor", "auditor")
# A transfer's states in which its destination acts (transfers.models.transfer.transfer_turn).
DESTINATION_STATES = frozenset(
    ("transferred_out", "transferred_in", "credit_prepared", "reconciliation")
)


@functools.cache
def _issued_in(code: str) -> bool:
    """Whether the ID check accepts numbers issued in this county (current codes: all)."""
    from accounts.idnumbers import parse_id_number

    try:
        parse_id_number(id_number(0, code))
    except Exception:  # the check says why; the generator just skips the code
        return False
    return True


PASSWORD = "Demo@2026"  # noqa: S105 - bench data, same as the demo logins


class Generator(CasePlanner, LedgerPlanner, CaseRows):
    """One run. Persons are indexed 0..n-1; `self.person_id[i]` is the row id of person i."""

    def __init__(self, options: Options) -> None:
        self.o = options
        self.rng = random.Random(options.seed)
        self.report = Report(today=options.today.isoformat())
        self.cal = WorkingCalendar()
        self.n = options.persons

    # --- the run ---------------------------------------------------------------------

    def run(self) -> Report:
        started = time.perf_counter()
        self._places()
        self._staff()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            self.cursor = cursor
            self._ids()
            self._step("persons", self._persons)
            self._plan_cases()
            self._step("enrollments", self._enrollments)
            self._step("ledger transactions", self._ledger_transactions)
            self._step("ledger entries", self._ledger_entries)
            self._step("accounts", self._accounts)
            self._step("applicant users", self._users)
            self._step("cases", self._cases)
            self._step("workflow rows", self._workflows)
            self._step("case events", self._events)
            self._step("deadlines", self._deadlines)
            self._step("sequences", self._sequences)
            committing = time.perf_counter()
        # The foreign keys are checked here (Django declares them DEFERRABLE INITIALLY DEFERRED).
        self.report.seconds["commit"] = round(time.perf_counter() - committing, 1)
        self.o.log(f"commit (foreign key checks): {self.report.seconds['commit']} s")
        self._step("vacuum and analyze", self._analyze)
        self.report.total_seconds = time.perf_counter() - started
        return self.report

    def _step(self, name: str, work: Callable[[], int | None]) -> None:
        started = time.perf_counter()
        rows = work()
        seconds = time.perf_counter() - started
        self.report.seconds[name] = round(seconds, 1)
        if rows is not None:
            self.report.counts[name] = rows
        self.o.log(f"{name}: {rows if rows is not None else ''} in {seconds:.1f} s")

    def _copy(self, model: type[Any], names: tuple[str, ...]) -> Copier:
        return Copier(self.cursor, CopyTable(model, names))

    # --- places, agencies and staff (the ORM: a few hundred rows) --------------------------

    def _places(self) -> None:
        prefectures = list(
            Region.objects.filter(
                level=Region.Level.PREFECTURE, parent_id__in=[f"{p}0000" for p in PROVINCES]
            ).order_by("code")
        )
        if not prefectures:
            raise RuntimeError("No regions: run manage.py load_regions first.")
        self.prefectures = prefectures
        counties: dict[str, list[str]] = {}
        for code, parent in Region.objects.filter(
            parent__in=prefectures, level=Region.Level.COUNTY
        ).values_list("code", "parent_id"):
            if _issued_in(code):
                counties.setdefault(parent, []).append(code)
        self.areas = [sorted(counties.get(p.code, [])) or [p.code] for p in prefectures]
        existing = {a.code: a for a in Agency.objects.filter(code__endswith="-01")}
        missing = [
            Agency(code=f"{p.code}-01", name=f"{p.name}医疗保障事务中心", region=p)
            for p in prefectures
            if f"{p.code}-01" not in existing
        ]
        Agency.objects.bulk_create(missing)
        existing.update({a.code: a for a in Agency.objects.filter(code__endswith="-01")})
        self.agencies = [existing[f"{p.code}-01"] for p in prefectures]
        # Big cities are big: agency k gets a weight of 1 / (k+1)^0.8, in a shuffled order.
        order = list(range(len(prefectures)))
        self.rng.shuffle(order)
        weights = [0.0] * len(order)
        for rank, k in enumerate(order):
            weights[k] = 1 / (rank + 1) ** 0.8
        total = sum(weights)
        self.weights = [w / total for w in weights]

    def _staff(self) -> None:
        """A clerk, a reviewer, a supervisor and an auditor per agency (v<region>_<role>)."""
        self.password = make_password(PASSWORD)
        names = {
            f"v{agency.region_id}_{role}": (agency, role)
            for agency in self.agencies
            for role in STAFF_ROLES
        }
        existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        made = User.objects.bulk_create(
            [
                User(username=name, agency=agency, is_staff=True, password=self.password)
                for name, (agency, _role) in names.items()
                if name not in existing
            ]
        )
        groups = {g.name: g.pk for g in Group.objects.filter(name__in=STAFF_ROLES)}
        User.groups.through.objects.bulk_create(
            [
                User.groups.through(user_id=user.pk, group_id=groups[names[user.username][1]])
                for user in made
                if names[user.username][1] in groups
            ]
        )
        ids = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
        self.staff = [
            {role: ids[f"v{agency.region_id}_{role}"] for role in STAFF_ROLES}
            for agency in self.agencies
        ]

    def _ids(self) -> None:
        """Rows get ids from the current maximum on: the generator assumes nothing else
        writes these tables while it runs, and moves the sequences on at the end."""
        self.base: dict[str, int] = {}
        for model in (
            InsuredPerson,
            Enrollment,
            PersonalAccount,
            LedgerTransaction,
            LedgerEntry,
            User,
            Case,
            CaseEvent,
            Deadline,
            DeadlineReminder,
        ):
            self.cursor.execute(f"SELECT coalesce(max(id), 0) FROM {model._meta.db_table}")  # noqa: S608
            self.base[model._meta.label] = self.cursor.fetchone()[0]
        self.first_index = InsuredPerson.objects.count()

    def _sequences(self) -> None:
        for model in (
            InsuredPerson,
            Enrollment,
            PersonalAccount,
            LedgerTransaction,
            LedgerEntry,
            User,
            Case,
            CaseEvent,
            Deadline,
            DeadlineReminder,
        ):
            table = model._meta.db_table
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )

    def _analyze(self) -> None:
        """Statistics for the planner and, outside a transaction, the visibility map too:
        the queue's index-only scans skip the heap only for pages VACUUM has marked
        all-visible (autovacuum would get there, later)."""
        verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in (
                InsuredPerson,
                Enrollment,
                PersonalAccount,
                LedgerTransaction,
                LedgerEntry,
                User,
                Case,
                CaseEvent,
                Deadline,
                DeadlineReminder,
                Transfer,
                Withdrawal,
                EmergencyRefund,
                Binding,
            ):
                cursor.execute(f"{verb} {model._meta.db_table}")

    # --- persons ---------------------------------------------------------------------------

    def _persons(self) -> int:
        rng, n = self.rng, self.n
        self.home = array("H", rng.choices(range(len(self.weights)), weights=self.weights, k=n))
        self.employee = array("b", (rng.random() < 0.68 for _ in range(n)))
        self.names: list[str] = []
        self.person_id = self.base["accounts.InsuredPerson"] + 1
        taken = self._existing_id_numbers()
        self.index_of: list[int] = []  # generated index of each person (skips taken numbers)
        created = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        with self._copy(
            InsuredPerson, ("id", "name", "id_number", "birth_date", "sex", "phone", "created_at")
        ) as out:
            index = self.first_index
            for p in range(n):
                areas = self.areas[self.home[p]]
                number = id_number(index, areas[index % len(areas)])
                while number in taken:
                    index += 1
                    number = id_number(index, areas[index % len(areas)])
                name = rng.choice(SURNAMES) + "".join(
                    rng.choice(GIVEN) for _ in range(1 + (rng.random() < 0.6))
                )
                self.names.append(name)
                self.index_of.append(index)
                out.add(
                    self.person_id + p,
                    name,
                    number,
                    datetime.date.fromordinal(birth_ordinal(index)),
                    "M" if int(number[16]) % 2 else "F",
                    phone_number(index),
                    created,
                )
                index += 1
        return out.rows

    def _existing_id_numbers(self) -> set[str]:
        # Numbers of persons not made by this generator (demo data, a test's factories) may
        # collide with generated ones; a volume already generated cannot (other indexes).
        if self.first_index > 200_000:
            return set()
        return set(InsuredPerson.objects.values_list("id_number", flat=True))

    def person_number(self, p: int) -> str:
        index = self.index_of[p]
        areas = self.areas[self.home[p]]
        return id_number(index, areas[index % len(areas)])

    # --- cases: who applies for what, decided before any money is written -------------------

    def _enrollments(self) -> int:
        """Every person is insured where they live; a person who applied to transfer is also
        (or only, once it is done) insured at the destination. Each employee-scheme
        enrollment has a personal account, numbered in the same pass."""
        rng = self.rng
        enrollment_id = self.base["accounts.Enrollment"]
        self.accounts: list[tuple[int, int, int, str]] = []  # (person, enrollment, region, role)
        self.account_of: dict[tuple[int, str], int] = {}
        start = datetime.date(2012, 1, 1).toordinal()
        with self._copy(
            Enrollment,
            (
                "id",
                "person_id",
                "region_id",
                "scheme",
                "status",
                "start_date",
                "end_date",
                "contribution_months",
                "in_arrears",
            ),
        ) as out:
            for p in range(self.n):
                scheme = Scheme.EMPLOYEE if self.employee[p] else Scheme.RESIDENT
                since = datetime.date.fromordinal(start + rng.randrange(0, 4000))
                months = max(1, (self.o.today - since).days // 30)
                transfer = self.transfer_of.get(p)
                status, end = "active", None
                if transfer is not None and transfer.state != "refused":
                    status = "closed" if transfer.state == "completed" else "stopped"
                    end = transfer.created
                elif p in self.account_end and self.account_end[p].state == "closed":
                    status, end = "stopped", self.account_end[p].closed
                enrollment_id += 1
                out.add(
                    enrollment_id,
                    self.person_id + p,
                    self.prefectures[self.home[p]].code,
                    scheme,
                    status,
                    since,
                    end,
                    months,
                    rng.random() < 0.02 and transfer is None,
                )
                if scheme == Scheme.EMPLOYEE:
                    self._account(p, enrollment_id, self.home[p], "home")
                if transfer is not None and transfer.state != "refused":
                    enrollment_id += 1
                    arrived = transfer.detail.get("completed_on") or transfer.created
                    out.add(
                        enrollment_id,
                        self.person_id + p,
                        self.prefectures[transfer.other_agency or 0].code,
                        scheme,
                        "active",
                        arrived,
                        None,
                        months if transfer.state == "completed" else 0,
                        False,
                    )
                    if scheme == Scheme.EMPLOYEE:
                        self._account(p, enrollment_id, transfer.other_agency or 0, "destination")
        return out.rows

    def _ledger_transactions(self) -> int:
        base = self.base["accounts.LedgerTransaction"]
        with self._copy(LedgerTransaction, ("id", "kind", "memo", "created_at")) as out:
            for number, _a, line in self._ledger_lines():
                out.add(base + number, line.kind, "volume", at(line.day, number % 30_000))
        return out.rows

    def _ledger_entries(self) -> int:
        """Two entries per line: the account's, and its counterpart on a clearing account of
        the fund (docs/DOMAIN.md §4), so that every transaction balances."""
        base_txn = self.base["accounts.LedgerTransaction"]
        base = self.base["accounts.LedgerEntry"]
        account_base = self.base["accounts.PersonalAccount"]
        self.balances = array("q", bytes(8 * len(self.accounts)))
        self._open_clearing_accounts()  # before the COPY, which holds the connection
        opposite = {"credit": "debit", "debit": "credit"}
        with self._copy(
            LedgerEntry,
            (
                "id",
                "transaction_id",
                "account_id",
                "clearing_id",
                "direction",
                "amount",
                "fund_source",
                "balance_after",
                "created_at",
            ),
        ) as out:
            for number, a, line in self._ledger_lines():
                balance = self.balances[a]
                balance += line.cents if line.direction == "credit" else -line.cents
                self.balances[a] = balance
                created = at(line.day, number % 30_000)
                out.add(
                    base + 2 * number - 1,
                    base_txn + number,
                    account_base + a + 1,
                    None,
                    line.direction,
                    money(line.cents),
                    line.source,
                    money(balance),
                    created,
                )
                out.add(
                    base + 2 * number,
                    base_txn + number,
                    None,
                    self._counter(a, line),
                    opposite[line.direction],
                    money(line.cents),
                    None,
                    None,
                    created,
                )
        return out.rows

    _COUNTER_KIND: ClassVar[dict[str, str]] = {
        "contribution": ClearingAccount.Kind.CONTRIBUTIONS,
        "allocation": ClearingAccount.Kind.CONTRIBUTIONS,
        "charge": ClearingAccount.Kind.SETTLEMENT,
        "withdrawal": ClearingAccount.Kind.BANK_PAYOUT,
        "refund": ClearingAccount.Kind.POOLED_FUND,
    }

    def _counter(self, a: int, line: LedgerLine) -> int:
        """The clearing account of a line: in transit between the transfer's two funds for a
        transfer (out at the origin, in at the destination), else by the line's kind."""
        person, _enrollment, agency, _role = self.accounts[a]
        key: tuple[str, str, str | None]
        if line.kind == "transfer":
            transfer = self.transfer_of[person]
            origin = self.agencies[transfer.agency].region_id
            peer = self.agencies[transfer.other_agency or 0].region_id
            key = (origin, ClearingAccount.Kind.IN_TRANSIT, peer)
        else:
            key = (self.agencies[agency].region_id, self._COUNTER_KIND[line.kind], None)
        return self.clearing_ids[key]

    def _open_clearing_accounts(self) -> None:
        keys: set[tuple[str, str, str | None]] = {
            (agency.region_id, kind, None)
            for agency in self.agencies
            for kind in set(self._COUNTER_KIND.values())
        }
        for transfer in self.transfer_of.values():
            origin = self.agencies[transfer.agency].region_id
            peer = self.agencies[transfer.other_agency or 0].region_id
            keys.add((origin, ClearingAccount.Kind.IN_TRANSIT, peer))
        self.clearing_ids: dict[tuple[str, str, str | None], int] = {
            key: clearing_account(region_id=key[0], kind=key[1], peer_id=key[2]).pk
            for key in sorted(keys, key=str)
        }

    def _accounts(self) -> int:
        base = self.base["accounts.PersonalAccount"]
        opened = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        with self._copy(
            PersonalAccount,
            ("id", "person_id", "enrollment_id", "balance", "status", "opened_at", "closed_at"),
        ) as out:
            for a, (p, enrollment, _region, role) in enumerate(self.accounts):
                status, closed = "normal", None
                transfer = self.transfer_of.get(p)
                case = self.account_end.get(p)
                if role == "home" and transfer is not None and transfer.state == "completed":
                    status, closed = "closed", at(transfer.closed or self.o.today, 1)
                elif case is not None and case.state == "closed":
                    status, closed = "closed", at(case.closed or self.o.today, 1)
                out.add(
                    base + a + 1,
                    self.person_id + p,
                    enrollment,
                    money(self.balances[a]),
                    status,
                    opened,
                    closed,
                )
        return out.rows

    def account_id(self, p: int, role: str = "home") -> int:
        return self.base["accounts.PersonalAccount"] + self.account_of[p, role] + 1

    # --- users, cases and their workflow rows ------------------------------------------------

    def _users(self) -> int:
        base = self.base["accounts.User"]
        password = self.password
        taken = set(User.objects.exclude(mobile=None).values_list("mobile", flat=True))
        self.user_of: dict[int, int] = {}
        joined = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
        with self._copy(
            User, ("id", "username", "password", "mobile", "person_id", "date_joined")
        ) as out:
            for plan in self.plans:
                if not plan.online or plan.person in self.user_of:
                    continue
                user_id = base + len(self.user_of) + 1
                self.user_of[plan.person] = user_id
                mobile = phone_number(self.index_of[plan.person])
                out.add(
                    user_id,
                    f"applicant-{self.person_id + plan.person}",
                    password,
                    None if mobile in taken else mobile,
                    self.person_id + plan.person,
                    joined,
                )
        return out.rows

    def _cases(self) -> int:
        base = self.base["cases.Case"]
        agencies = [a.pk for a in self.agencies]
        prefixes = {"transfer": "ZY", "withdrawal": "TQ", "emergency_refund": "DF"}
        with self._copy(
            Case,
            (
                "id",
                "reference",
                "kind",
                "person_id",
                "applicant_id",
                "agency_id",
                "other_agency_id",
                "channel",
                "state",
                "assignee_id",
                "acting_agency_id",
                "due_on",
                "created_by_id",
                "created_at",
                "updated_at",
                "closed_at",
            ),
        ) as out:
            for c, plan in enumerate(self.plans):
                staff = self.staff[plan.agency]
                open_clocks = [d.due_on for d in plan.deadlines if d.status == "open"]
                assigned = plan.closed is None and self.rng.random() < 0.4
                last = plan.events[-1][3]
                out.add(
                    base + c + 1,
                    f"{prefixes.get(plan.kind, 'GJ')}{plan.created:%Y%m%d}{c + base + 1:08d}",
                    plan.kind,
                    self.person_id + plan.person,
                    self.user_of.get(plan.person) if plan.online else None,
                    agencies[plan.agency],
                    None if plan.other_agency is None else agencies[plan.other_agency],
                    "online" if plan.online else "window",
                    plan.state,
                    staff["clerk"] if assigned else None,
                    self._acting_agency(plan, agencies),
                    min(open_clocks) if open_clocks else None,
                    None if plan.online else staff["clerk"],
                    at(plan.created, c % 30_000),
                    at(last, c % 30_000 + 60),
                    None if plan.closed is None else at(plan.closed, c % 30_000 + 120),
                )
        return out.rows

    @staticmethod
    def _acting_agency(plan: Any, agencies: list[int]) -> int | None:
        """Whose move an open case is (cases.turns): a transfer's destination once it was
        sent, an active binding nobody's, every other open case its own agency's."""
        if plan.closed is not None or (plan.kind == "family_binding" and plan.state != "pending"):
            return None
        if plan.kind == "transfer" and plan.state in DESTINATION_STATES:
            return int(agencies[plan.other_agency or 0])
        return int(agencies[plan.agency])

    def case_id(self, c: int) -> int:
        return self.base["cases.Case"] + c + 1
