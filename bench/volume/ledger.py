"""The ledger of each personal account: a pure function of the account's index, so that
the pass writing transactions and the pass writing entries see the same lines."""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator

from accounts.models import FundSource
from bench.volume.model import CasePlan, LedgerLine, Options


class LedgerPlanner:
    """Part of the generator: accounts (person, enrollment, region, role) and their lines."""

    o: Options
    n: int
    _per_account: float | None = None
    accounts: list[tuple[int, int, int, str]]
    account_of: dict[tuple[int, str], int]
    transfer_of: dict[int, CasePlan]
    account_end: dict[int, CasePlan]

    def _account(self, p: int, enrollment: int, region: int, role: str) -> None:
        self.account_of[p, role] = len(self.accounts)
        self.accounts.append((p, enrollment, region, role))

    def _ledger_of(self, a: int) -> list[LedgerLine]:
        """Account a's entries: opening credits, monthly contributions and allocations,
        charges never beyond the balance, then what its case did to it (transfer out, payout,
        refund credit, transfer in). A pure function of a, so every pass sees the same."""
        person, _enrollment, _region, role = self.accounts[a]
        rng = random.Random(self.o.seed * 1_000_003 + a)
        per_account = self._entries_per_account
        count = int(per_account) + (rng.random() < per_account - int(per_account))
        first = self.o.today - datetime.timedelta(days=rng.randint(400, 3000))
        step = max(1, (self.o.today - first).days // (count + 2))
        lines: list[LedgerLine] = []
        balance = 0
        if role == "destination":
            transfer = self.transfer_of[person]
            if transfer.state == "completed":
                cents = self._in_transit(person)
                if cents:
                    lines.append(
                        LedgerLine(
                            "transfer",
                            "credit",
                            cents,
                            FundSource.TRANSFER_IN,
                            transfer.closed or first,
                        )
                    )
            return lines
        for j in range(max(2, count)):
            day = first + datetime.timedelta(days=j * step)
            if j == 0:
                cents = rng.randint(20_000, 800_000)
                lines.append(
                    LedgerLine("contribution", "credit", cents, FundSource.INDIVIDUAL, day)
                )
            elif j == 1 or rng.random() < 0.35:
                cents = rng.randint(1_000, 300_000)
                lines.append(LedgerLine("allocation", "credit", cents, FundSource.EMPLOYER, day))
            elif rng.random() < 0.5 and balance > 200:
                cents = rng.randint(100, balance // 2)
                lines.append(LedgerLine("charge", "debit", cents, None, day))
                balance -= cents
                continue
            else:
                cents = rng.randint(5_000, 60_000)
                lines.append(
                    LedgerLine("contribution", "credit", cents, FundSource.INDIVIDUAL, day)
                )
            balance += cents
        self._ending(person, role, balance, lines)
        return lines

    def _ending(self, person: int, role: str, balance: int, lines: list[LedgerLine]) -> None:
        transfer = self.transfer_of.get(person)
        if transfer is not None and "transferred_out_on" in transfer.detail and balance:
            lines.append(
                LedgerLine(
                    "transfer", "debit", balance, None, transfer.detail["transferred_out_on"]
                )
            )
            return
        case = self.account_end.get(person)
        if case is None:
            return
        if case.kind == "withdrawal" and "paid_on" in case.detail and balance:
            lines.append(LedgerLine("withdrawal", "debit", balance, None, case.detail["paid_on"]))
        elif case.kind == "emergency_refund" and "credited_on" in case.detail:
            lines.append(
                LedgerLine(
                    "refund",
                    "credit",
                    case.detail["approved"],
                    FundSource.REFUND,
                    case.detail["credited_on"],
                )
            )

    def _balance_parts(self, lines: list[LedgerLine]) -> tuple[int, int]:
        """(balance before any transfer-out or payout, employer-funded credits)."""
        balance = employer = 0
        for line in lines:
            if line.kind in ("transfer", "withdrawal") and line.direction == "debit":
                break
            balance += line.cents if line.direction == "credit" else -line.cents
            if line.source == FundSource.EMPLOYER:
                employer += line.cents
        return balance, employer

    def _in_transit(self, person: int) -> int:
        home = self.account_of.get((person, "home"))
        return 0 if home is None else self._balance_parts(self._ledger_of(home))[0]

    @property
    def _entries_per_account(self) -> float:
        # Destination accounts hold one credit at most; the others share the rest.
        if self._per_account is None:
            own = sum(1 for account in self.accounts if account[3] == "home")
            self._per_account = max(2.0, self.n * self.o.entries_per_person / max(1, own))
        return self._per_account

    def _ledger_lines(self) -> Iterator[tuple[int, int, LedgerLine]]:
        """(entry number, account index, line) for every entry, in account order."""
        number = 0
        for a in range(len(self.accounts)):
            for line in self._ledger_of(a):
                number += 1
                yield number, a, line
