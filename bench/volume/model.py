"""The plans the generator writes from: options, the report, and each case, deadline and
ledger line before it becomes a row."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class Options:
    persons: int = 1_000_000
    entries_per_person: float = 3.0
    cases_per_person: float = 0.3
    seed: int = 7
    today: datetime.date = field(default_factory=datetime.date.today)
    log: Callable[[str], None] = print


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    today: str = ""
    total_seconds: float = 0.0


@dataclass(slots=True)
class DeadlinePlan:
    step: str
    working_days: int
    started_on: datetime.date
    due_on: datetime.date
    provisional: bool
    status: str
    next_sweep_on: datetime.date | None = None
    remaining_days: int | None = None
    paused_on: datetime.date | None = None
    met_on: datetime.date | None = None
    sent: list[tuple[str, datetime.date]] = field(default_factory=list)


@dataclass(slots=True)
class CasePlan:
    kind: str
    person: int
    state: str
    agency: int
    other_agency: int | None
    created: datetime.date
    online: bool
    closed: datetime.date | None = None
    assigned: bool = False
    events: list[tuple[str, str, str, datetime.date]] = field(default_factory=list)
    deadlines: list[DeadlinePlan] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class LedgerLine:
    kind: str
    direction: str
    cents: int
    source: str | None
    day: datetime.date


def pick(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def at(day: datetime.date, second: int) -> str:
    return f"{day} {9 + second // 3600 % 9:02d}:{second // 60 % 60:02d}:{second % 60:02d}+08"
