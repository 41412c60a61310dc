"""转出 at the origin: the sealed 信息表 and the balance sent, paid to the bank, or left
where it is (docs/DOMAIN.md §2 step 3)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.clearing import clearing_account
from accounts.models import (
    ClearingAccount,
    LedgerTransaction,
    PersonalAccount,
    Scheme,
    User,
)
from accounts.policy import policy_for
from accounts.services import ledger_debit
from cases import steps, workflow
from cases.deadlines import deadline_close, deadline_start
from cases.errors import CaseError
from cases.models import Case, DeadlineStep
from transfers import notices
from transfers.choices import MoneyMode
from transfers.infotable import build_content
from transfers.models import BankPayout, InfoTable, Transfer
from transfers.seal import seal
from transfers.selectors import balance_split
from transfers.services.base import day_or_today, ledger_or_refuse, locked

# --- transfer out at the origin ----------------------------------------------------------


def _money_mode(transfer: Transfer, account: PersonalAccount | None) -> str:
    if account is None or account.balance == 0:
        return MoneyMode.NONE
    if transfer.payout_reason or transfer.destination_scheme != Scheme.EMPLOYEE:
        return MoneyMode.PAYOUT
    same_province = transfer.origin_region.province_code == (
        transfer.destination_region.province_code
    )
    if same_province and policy_for(transfer.origin_region).balance_portable_in_province:
        return MoneyMode.PORTABLE
    return MoneyMode.MOVE


def _issue_table(
    transfer: Transfer, account: PersonalAccount | None, mode: str, day: datetime.date, by: Any
) -> InfoTable:
    split = balance_split(account) if account is not None else (Decimal("0"), Decimal("0"))
    content = build_content(
        transfer=transfer, account=account, split=split, money_mode=mode, on=day
    )
    signature, kid = seal(content)
    return InfoTable.objects.create(
        transfer=transfer, content=content, signature=signature, key_id=kid, issued_by=by
    )


def _send_balance(
    transfer: Transfer, account: PersonalAccount | None, mode: str, day: datetime.date, by: Any
) -> Decimal:
    """Debit the origin into its fund's clearing: in transit to the destination's fund, or
    handed to the bank; the amount now in transit (0 when paid out or not moved)."""
    if account is None or mode in (MoneyMode.NONE, MoneyMode.PORTABLE):
        return Decimal("0.00")
    amount = account.balance
    key = f"transfer:{transfer.case_id}:{mode}"
    if mode == MoneyMode.MOVE:
        in_transit = clearing_account(
            region_id=transfer.origin_region_id,
            kind=ClearingAccount.Kind.IN_TRANSIT,
            peer_id=transfer.destination_region_id,
        )
        ledger_or_refuse(
            lambda: ledger_debit(
                account=account,
                amount=amount,
                kind=LedgerTransaction.Kind.TRANSFER,
                counter=in_transit,
                by=by,
                memo=f"{transfer.case.reference} transfer out",
                idempotency_key=key,
            )
        )
        return amount
    _pay_to_bank(transfer, account, amount, key, day, by)
    return Decimal("0.00")


def _pay_to_bank(
    transfer: Transfer,
    account: PersonalAccount,
    amount: Decimal,
    key: str,
    day: datetime.date,
    by: Any,
) -> BankPayout:
    if not (transfer.bank_account_number and transfer.bank_account_name):
        raise CaseError(
            _("No bank account of the applicant is on file for the payout; ask for it (补件)."),
            code="no_bank_account",
        )
    bank = clearing_account(
        region_id=transfer.origin_region_id, kind=ClearingAccount.Kind.BANK_PAYOUT
    )
    txn = ledger_or_refuse(
        lambda: ledger_debit(
            account=account,
            amount=amount,
            kind=LedgerTransaction.Kind.WITHDRAWAL,
            counter=bank,
            by=by,
            memo=f"{transfer.case.reference} transfer payout to bank",
            idempotency_key=key,
        )
    )
    return BankPayout.objects.create(
        transfer=transfer,
        amount=amount,
        bank_name=transfer.bank_name,
        account_number=transfer.bank_account_number,
        account_name=transfer.bank_account_name,
        ledger_transaction=txn,
        paid_on=day,
        created_by=by,
    )


@transaction.atomic
def transfer_out(*, case: Case, by: User | None, on: datetime.date | None = None) -> Transfer:
    """转出: issue and seal the 信息表, send the balance (or pay it to the bank), and start
    the destination's clock from the table's receipt."""
    transfer = locked(case)
    steps.require(transfer, transfer.transfer_out, by)
    day = day_or_today(on)
    # Locked before its balance is read: a charge cannot slip between table and debit.
    account = workflow.lock(transfer.origin_account) if transfer.origin_account else None
    mode = _money_mode(transfer, account)
    _issue_table(transfer, account, mode, day, by)
    in_transit = _send_balance(transfer, account, mode, day, by)
    steps.case_step(transfer, transfer.transfer_out, by=by)(
        mode=mode, in_transit=in_transit, on=day
    )
    deadline_close(case=transfer.case, step=DeadlineStep.TRANSFER_ORIGIN, met=True)
    policy = policy_for(transfer.destination_region)
    deadline_start(
        case=transfer.case,
        step=DeadlineStep.TRANSFER_DESTINATION,
        working_days=policy.transfer_destination_days,
        start=day,
        reminder_days_before=policy.reminder_days_before,
        by=by,
    )
    notices.transferred_out(transfer)
    notices.table_arrived(transfer)
    return transfer
