"""转出 at the origin: the sealed 信息表 and the balance sent, paid to the bank, or left
where it is (docs/DOMAIN.md §2 step 3)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.clearing import clearing_account
from accounts.freezes.selectors import frozen_refusal
from accounts.models import (
    ClearingAccount,
    LedgerTransaction,
    PersonalAccount,
    Scheme,
    User,
)
from accounts.policy import needs_second_person, policy_for
from accounts.services import ledger_debit
from cases import steps, workflow
from cases.deadlines import deadline_close, deadline_start
from cases.errors import CaseError
from cases.models import Case, DeadlineStep
from transfers import notices
from transfers.choices import MoneyMode
from transfers.exchange.models import MessageKind
from transfers.exchange.outbox import announce
from transfers.exchange.wire import balance_sent_body, info_table_body
from transfers.infotable import build_content
from transfers.models import BankPayout, InfoTable, Transfer
from transfers.progress import transfer_limits
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
    sealed = seal(content, agency=transfer.case.agency)
    return InfoTable.objects.create(
        transfer=transfer,
        content=content,
        signature=sealed.signature,
        key_id=sealed.key_id,
        algorithm=sealed.algorithm,
        issued_by=by,
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
            _("No bank account of the applicant is on file for the payout; ask for it."),
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


def _amount_moved(account: PersonalAccount | None, mode: str) -> Decimal:
    if account is None or mode not in (MoneyMode.MOVE, MoneyMode.PAYOUT):
        return Decimal("0.00")
    return account.balance


def _payee(transfer: Transfer, mode: str) -> str:
    if mode == MoneyMode.PAYOUT:
        return _("%(holder)s's account at %(bank)s ending %(last4)s") % {
            "holder": transfer.bank_account_name,
            "bank": transfer.bank_name,
            "last4": transfer.bank_account_number[-4:],
        }
    return _("the personal account at %(destination)s") % {
        "destination": transfer.destination_region.name
    }


def out_summary(transfer: Transfer) -> str:
    """What confirming the transfer-out does, in figures (shown on the confirming button)."""
    account = transfer.origin_account
    mode = _money_mode(transfer, account)
    return _("%(amount)s yuan from account %(account)s to %(payee)s.") % {
        "amount": _amount_moved(account, mode),
        "account": account.pk if account is not None else "—",
        "payee": _payee(transfer, mode),
    }


@transaction.atomic
def transfer_out(*, case: Case, by: User | None, on: datetime.date | None = None) -> Transfer:
    """转出: issue and seal the 信息表, send the balance (or pay it to the bank), and start
    the destination's clock from the table's receipt. From the region's threshold a second
    member of staff confirms (双人复核): this step then only prepares it."""
    transfer = locked(case)
    steps.require(transfer, transfer.transfer_out, by)
    # Locked before its balance is read: a charge cannot slip between table and debit.
    account = workflow.lock(transfer.origin_account) if transfer.origin_account else None
    # Refused whatever the money mode: a portable balance or none still leaves with the table.
    if account is not None and (frozen := frozen_refusal(account)) is not None:
        raise CaseError(frozen, code="account_frozen")
    mode = _money_mode(transfer, account)
    amount = _amount_moved(account, mode)
    if by is not None and needs_second_person(policy_for(transfer.origin_region), amount):
        steps.case_step(
            transfer,
            transfer.prepare_transfer_out,
            by=by,
            reason=_("%(amount)s yuan to %(payee)s, to be confirmed by a second person")
            % {"amount": amount, "payee": _payee(transfer, mode)},
        )(amount=amount, by=by)
        return transfer
    _send(transfer, account, mode, day_or_today(on), by, transfer.transfer_out)
    return transfer


@transaction.atomic
def transfer_out_confirm(*, case: Case, by: User, on: datetime.date | None = None) -> Transfer:
    """The second person confirms the prepared transfer-out; the balance must still be what
    was prepared (a charge in between changes it: send it back and prepare again)."""
    transfer = locked(case)
    steps.require(transfer, transfer.confirm_transfer_out, by)
    account = workflow.lock(transfer.origin_account) if transfer.origin_account else None
    if account is not None and (frozen := frozen_refusal(account)) is not None:
        raise CaseError(frozen, code="account_frozen")
    mode = _money_mode(transfer, account)
    amount = _amount_moved(account, mode)
    if amount != transfer.prepared_amount:
        raise CaseError(
            _(
                "The balance is %(now)s yuan, not the %(prepared)s yuan prepared; send the "
                "transfer-out back to be prepared again."
            )
            % {"now": amount, "prepared": transfer.prepared_amount},
            code="amount_changed",
        )
    _send(transfer, account, mode, day_or_today(on), by, transfer.confirm_transfer_out)
    return transfer


@transaction.atomic
def transfer_out_send_back(*, case: Case, by: User, note: str) -> Transfer:
    transfer = locked(case)
    steps.send_back(transfer, transfer.send_back_transfer_out, by=by, note=note)
    return transfer


def _send(
    transfer: Transfer,
    account: PersonalAccount | None,
    mode: str,
    day: datetime.date,
    by: User | None,
    step: Callable[..., None],
) -> None:
    table = _issue_table(transfer, account, mode, day, by)
    in_transit = _send_balance(transfer, account, mode, day, by)
    steps.case_step(transfer, step, by=by)(mode=mode, in_transit=in_transit, on=day)
    # To a destination of another deployment: the table, then the money, as two messages.
    announce(case=transfer.case, kind=MessageKind.INFO_TABLE, body=info_table_body(transfer, table))
    if in_transit > 0:
        announce(
            case=transfer.case,
            kind=MessageKind.BALANCE_SENT,
            body=balance_sent_body(transfer, in_transit),
        )
    deadline_close(case=transfer.case, step=DeadlineStep.TRANSFER_ORIGIN, met=True)
    policy = policy_for(transfer.destination_region)
    deadline_start(
        case=transfer.case,
        step=DeadlineStep.TRANSFER_DESTINATION,
        working_days=transfer_limits(
            transfer.origin_region, transfer.destination_region
        ).destination,
        start=day,
        reminder_days_before=policy.reminder_days_before,
        by=by,
    )
    notices.transferred_out(transfer)
    notices.table_arrived(transfer)
