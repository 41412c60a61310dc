"""The helpers every transfer service shares: today's date, the locked row, ledger refusals."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import cast

from accounts.errors import AccountsError
from accounts.models import (
    LedgerTransaction,
)
from cases import workflow
from cases.errors import CaseError
from cases.models import Case
from transfers.models import (
    Transfer,
)


def day_or_today(on: datetime.date | None) -> datetime.date:
    return on or workflow.today()


def locked(case: Case) -> Transfer:
    """The transfer row of the case, locked until the transaction ends."""
    return cast(Transfer, Transfer.objects.select_for_update().get(pk=case.pk))


def ledger_or_refuse(call: Callable[[], LedgerTransaction]) -> LedgerTransaction:
    try:
        return call()
    except AccountsError as exc:
        raise CaseError(exc.message, code=exc.code) from exc
