"""The payout of an approved withdrawal to the payee's bank account and the closing of the
account after it (docs/DOMAIN.md §3): every ledger movement keyed by the case, so a retried
payout records one payout."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from accounts.clearing import clearing_of
from accounts.errors import AccountsError
from accounts.freezes.selectors import frozen_refusal
from accounts.models import ClearingAccount, LedgerTransaction, PersonalAccount
from accounts.policy import needs_second_person
from accounts.services import account_close, ledger_debit
from cases import steps, workflow
from cases.errors import CaseError
from withdrawals import rules
from withdrawals.eligibility import (
    amount_reasons,
    payee_reasons,
)
from withdrawals.models import Withdrawal
from withdrawals.notices import message, tell_applicant
from withdrawals.rules import Computation
from withdrawals.selectors import (
    account_policy,
    withdrawal_computation,
)

if TYPE_CHECKING:
    from accounts.models import User

State = Withdrawal.State


def _debit(
    account: PersonalAccount,
    amount: Decimal,
    *,
    kind: str,
    to: str,
    key: str,
    memo: str,
    by: User | None,
) -> LedgerTransaction | None:
    """Debit the account into the fund's clearing account of kind `to`."""
    if amount <= 0:
        return None
    return ledger_debit(
        account=account,
        amount=amount,
        kind=kind,
        counter=clearing_of(account, to),
        by=by,
        memo=memo,
        idempotency_key=key,
    )


def _post_payout(
    withdrawal: Withdrawal, computation: rules.Computation, by: User | None
) -> LedgerTransaction:
    """Settle outstanding costs, take the fee, pay the individual part, and return what is
    left (the employer-funded part) to the pooled fund, so the account ends at zero. Each
    movement has a key of its own per case: a retried step finds it and writes nothing.

    The counterparts, in the fund's clearing accounts: outstanding costs and the employer
    part go to the pooled fund, the fee to fees collected, the payout to the bank-payout
    clearing, where it stays until the bank confirms it (`bank_payout_confirm`)."""
    Kind = ClearingAccount.Kind
    account = withdrawal.account
    ref = withdrawal.case.reference
    adjustment = LedgerTransaction.Kind.ADJUSTMENT
    prefix = f"withdrawal:{withdrawal.pk}"
    _debit(
        account,
        computation.outstanding_costs,
        kind=adjustment,
        to=Kind.POOLED_FUND,
        key=f"{prefix}:outstanding",
        memo=f"{ref} outstanding costs settled",
        by=by,
    )
    _debit(
        account,
        computation.fee,
        kind=adjustment,
        to=Kind.FEES,
        key=f"{prefix}:fee",
        memo=f"{ref} fee",
        by=by,
    )
    payout = _debit(
        account,
        computation.payout,
        kind=LedgerTransaction.Kind.WITHDRAWAL,
        to=Kind.BANK_PAYOUT,
        key=f"{prefix}:payout",
        memo=f"{ref} paid to {withdrawal.payee_name} card …{withdrawal.bank_account[-4:]}",
        by=by,
    )
    assert payout is not None  # noqa: S101 - nothing_to_pay refused before
    left = PersonalAccount.objects.get(pk=account.pk).balance
    _debit(
        account,
        left,
        kind=adjustment,
        to=Kind.POOLED_FUND,
        key=f"{prefix}:pooled",
        memo=f"{ref} employer-funded part returned to the pooled fund",
        by=by,
    )
    return payout


@transaction.atomic
def withdrawal_pay(*, withdrawal: Withdrawal, by: User | None) -> Withdrawal:
    """Pay the approved withdrawal to the payee's bank account and close the account.

    Safe to call again: a withdrawal already paid is returned as it is, and each ledger
    movement carries a per-case idempotency key, so a retried payout records one payout."""
    withdrawal = workflow.lock(withdrawal)
    if withdrawal.state in (State.PAID, State.CLOSED):
        if withdrawal.state == State.PAID:
            return withdrawal_close_account(withdrawal=withdrawal, by=by)
        return withdrawal
    steps.require(withdrawal, withdrawal.pay, by)
    computation = _checked_computation(withdrawal)
    policy = account_policy(withdrawal.account)
    if by is not None and needs_second_person(policy, computation.payout):
        steps.case_step(
            withdrawal,
            withdrawal.prepare_payout,
            by=by,
            reason=_("%(amount)s yuan to %(name)s, to be confirmed by a second person")
            % {"amount": computation.payout, "name": withdrawal.payee_name},
        )(amount=computation.payout, by=by)
        return withdrawal
    return _pay(withdrawal, computation, by, withdrawal.pay)


@transaction.atomic
def withdrawal_payout_confirm(*, withdrawal: Withdrawal, by: User) -> Withdrawal:
    """The second person confirms the payout a colleague prepared, for the amount prepared."""
    withdrawal = workflow.lock(withdrawal)
    steps.require(withdrawal, withdrawal.confirm_payout, by)
    computation = _checked_computation(withdrawal)
    if computation.payout != withdrawal.prepared_amount:
        raise CaseError(
            _(
                "The payout is now %(now)s yuan, not the %(prepared)s yuan prepared; send it "
                "back to be prepared again."
            )
            % {"now": computation.payout, "prepared": withdrawal.prepared_amount},
            code="amount_changed",
        )
    return _pay(withdrawal, computation, by, withdrawal.confirm_payout)


@transaction.atomic
def withdrawal_payout_send_back(*, withdrawal: Withdrawal, by: User, note: str) -> Withdrawal:
    withdrawal = workflow.lock(withdrawal)
    steps.send_back(withdrawal, withdrawal.send_back_payout, by=by, note=note)
    return withdrawal


def payout_summary(withdrawal: Withdrawal) -> str:
    """What the payout does, in figures: the amount, the account it leaves, the payee."""
    return _(
        "Pay %(amount)s yuan from personal account %(account)s to %(name)s, %(bank)s card "
        "ending %(last4)s, and close the account."
    ) % {
        "amount": withdrawal_computation(withdrawal).payout,
        "account": withdrawal.account_id,
        "name": withdrawal.payee_name,
        "bank": withdrawal.bank_name,
        "last4": withdrawal.bank_account[-4:],
    }


def _checked_computation(withdrawal: Withdrawal) -> Computation:
    account = PersonalAccount.objects.select_for_update().get(pk=withdrawal.account_id)
    # A freeze set after the approval stops the payout, with its kind (the debit would refuse
    # too, but without saying why).
    if (frozen := frozen_refusal(account)) is not None:
        raise CaseError(frozen, code="account_frozen")
    computation = withdrawal_computation(withdrawal)
    reasons = [
        *payee_reasons(
            ground=withdrawal.ground,
            person_name=withdrawal.account.person.name,
            heir_name=withdrawal.heir_name,
            payee_name=withdrawal.payee_name,
            bank_account=withdrawal.bank_account,
        ),
        *amount_reasons(computation),
    ]
    if reasons:
        raise CaseError(_("The payout cannot be made."), code="payout", reasons=reasons)
    return computation


def _pay(
    withdrawal: Withdrawal,
    computation: Computation,
    by: User | None,
    step: Callable[[], None],
) -> Withdrawal:
    try:
        txn = _post_payout(withdrawal, computation, by)
    except AccountsError as exc:
        raise CaseError(exc.message, code=exc.code) from exc
    withdrawal.individual_part = computation.individual_part
    withdrawal.employer_part = computation.employer_part
    withdrawal.fee = computation.fee
    withdrawal.payout_amount = computation.payout
    withdrawal.paid_at = timezone.now()
    withdrawal.payout_transaction = txn
    steps.case_step(
        withdrawal,
        step,
        by=by,
        reason=_("%(amount)s yuan paid to %(name)s, card ending %(last4)s")
        % {
            "amount": computation.payout,
            "name": withdrawal.payee_name,
            "last4": withdrawal.bank_account[-4:],
        },
    )()
    return withdrawal_close_account(withdrawal=withdrawal, by=by)


@transaction.atomic
def withdrawal_close_account(*, withdrawal: Withdrawal, by: User | None) -> Withdrawal:
    """注销: the paid-out account is closed; every family-pool binding of the person ends
    (account_close sends coverage_ended)."""
    withdrawal = workflow.lock(withdrawal)
    if withdrawal.state == State.CLOSED:
        return withdrawal
    steps.require(withdrawal, withdrawal.close_account, by)
    try:
        account_close(account=withdrawal.account, by=by, reason=withdrawal.case.reference)
    except AccountsError as exc:
        raise CaseError(exc.message, code=exc.code) from exc
    steps.case_step(withdrawal, withdrawal.close_account, by=by)()
    tell_applicant(
        withdrawal.case,
        message(
            N_("Withdrawal %(ref)s paid"),
            N_(
                "%(amount)s yuan of case %(ref)s was paid to the card ending %(last4)s "
                "(fee %(fee)s yuan). The personal account is now closed."
            ),
            ref=withdrawal.case.reference,
            amount=withdrawal.payout_amount,
            last4=withdrawal.bank_account[-4:],
            fee=withdrawal.fee,
        ),
        heir_phone=withdrawal.heir_phone,
    )
    return withdrawal


steps.summarises(Withdrawal.pay, Withdrawal.confirm_payout, Withdrawal.send_back_payout)(
    payout_summary
)


@steps.performs(Withdrawal.pay)
def _pay_step(obj: Withdrawal, by: User, given: steps.Given) -> object:
    return withdrawal_pay(withdrawal=obj, by=by)


@steps.performs(Withdrawal.confirm_payout)
def _confirm_payout_step(obj: Withdrawal, by: User, given: steps.Given) -> object:
    return withdrawal_payout_confirm(withdrawal=obj, by=by)


@steps.performs(Withdrawal.send_back_payout)
def _send_back_payout_step(obj: Withdrawal, by: User, given: steps.Given) -> object:
    return withdrawal_payout_send_back(withdrawal=obj, by=by, note=given.note)
