"""Who pays how much of a charge: the patient's own account, then their bindings.

The split is decided twice on the same rules: before any lock, on the balances as last
committed, only to refuse what the patient's own account alone cannot pay
(`refuse_what_the_own_account_cannot_pay`); then under the locks (`family_pool.charging.locked`),
which alone may debit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.models import PersonalAccount
from family_pool.charging.facts import Facts
from family_pool.charging.results import ChargeRefused
from family_pool.models import Binding

ZERO = Decimal("0.00")

# Who pays what: the account, the binding it pays through (None for the patient's own), the share.
Plan = list[tuple[PersonalAccount, Binding | None, Decimal]]


@dataclass
class Payers:
    own: PersonalAccount | None
    bindings: list[Binding]
    accounts: dict[int, PersonalAccount]
    names: dict[int, str]
    reserved: dict[int, Decimal]

    def refuse_a_blocked_own_account(self) -> None:
        own = self.own
        if own is not None and own.status != PersonalAccount.Status.NORMAL:
            raise ChargeRefused(
                _("The patient's personal account is %(status)s; it refuses every charge.")
                % {"status": own.get_status_display()},
                code=f"account_{own.status}",
            )


def split(payers: Payers, amount: Decimal) -> Plan:
    """Who pays how much: the own account up to what its quotas leave, then each binding up
    to its remaining quota, or without one up to what the holder's other quotas leave."""
    left = amount
    plan: Plan = []
    # The balances as they were locked: the plan must not see its own debits.
    balance = {pk: account.balance for pk, account in payers.accounts.items()}
    if payers.own is not None:
        free = balance[payers.own.pk] - payers.reserved.get(payers.own.pk, ZERO)
        share = min(left, max(free, ZERO))
        if share > 0:
            plan.append((payers.own, None, share))
            left -= share
    frozen_holder = False
    for binding in payers.bindings:
        account = payers.accounts[binding.holder_account_id]
        frozen_holder |= account.status == PersonalAccount.Status.FROZEN
        if left <= 0 or account.status != PersonalAccount.Status.NORMAL:
            continue
        if binding.quota is not None:
            free = min(binding.quota - binding.spent, balance[account.pk])
        else:
            free = balance[account.pk] - payers.reserved.get(account.pk, ZERO)
        share = min(left, max(free, ZERO))
        if share > 0:
            plan.append((account, binding, share))
            left -= share
    if left > 0:
        raise _insufficient(payers, amount - left, amount, frozen_holder=frozen_holder)
    return plan


def _insufficient(
    payers: Payers, available: Decimal, amount: Decimal, *, frozen_holder: bool = False
) -> ChargeRefused:
    if payers.own is None and not payers.bindings:
        return ChargeRefused(
            _("The patient has no personal account and no family pool binding to pay from."),
            code="no_account",
        )
    if frozen_holder:
        # Said apart from a plain shortfall: the family would have paid but for a freeze.
        return ChargeRefused(
            _(
                "Not enough money: %(available)s yuan available, %(amount)s yuan asked; the "
                "personal account of a family member who would pay is frozen."
            )
            % {"available": available, "amount": amount},
            code="holder_account_frozen",
        )
    return ChargeRefused(
        _(
            "Not enough money: %(available)s yuan available from the patient's account and "
            "family pool, %(amount)s yuan asked."
        )
        % {"available": available, "amount": amount},
        code="insufficient_balance",
    )


def refuse_what_the_own_account_cannot_pay(facts: Facts, amount: Decimal) -> None:
    """A charge that only the patient's own account may pay, and that it cannot pay as last
    committed, is refused before any transaction or lock, with the answer the locked path would
    give: as if it had come before every charge or refund still in flight. One that it can pay
    is decided again under the locks (`locked.charge_locked`), which alone may debit."""
    own = None
    if facts.own_account_id and facts.own_balance is not None and facts.own_status:
        # (all three, or none: the account's row or no row)
        own = PersonalAccount(
            pk=facts.own_account_id, balance=facts.own_balance, status=facts.own_status
        )
    accounts = {own.pk: own} if own else {}
    payers = Payers(
        own=own,
        bindings=[],
        accounts=accounts,
        names={},
        reserved={pk: facts.own_reserved for pk in accounts},
    )
    payers.refuse_a_blocked_own_account()
    split(payers, amount)
