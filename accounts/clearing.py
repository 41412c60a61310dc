"""The clearing accounts of a fund (docs/DOMAIN.md §4): found or opened by their key, and the
bank's confirmation of a payout, which moves it out of the bank-payout clearing."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import AccountsError
from accounts.models import (
    ClearingAccount,
    Enrollment,
    LedgerEntry,
    LedgerTransaction,
    PersonalAccount,
    User,
)
from accounts.services import ledger_clear


def clearing_account(*, region_id: str, kind: str, peer_id: str | None = None) -> ClearingAccount:
    """The clearing account of a fund (coordination area) of this kind, opened on first use."""
    account, _created = ClearingAccount.objects.get_or_create(
        region_id=region_id, kind=kind, peer_id=peer_id
    )
    return account


def clearing_of(account: PersonalAccount, kind: str) -> ClearingAccount:
    """The clearing account of this kind of the fund that runs the personal account."""
    region_id = (
        Enrollment.objects.filter(pk=account.enrollment_id)
        .values_list("region_id", flat=True)
        .get()
    )
    return clearing_account(region_id=region_id, kind=kind)


@transaction.atomic
def bank_payout_confirm(*, payout: LedgerTransaction, by: User | None) -> LedgerTransaction:
    """The bank confirmed a payout: its amount leaves the bank-payout clearing for the fund's
    bank account. Once per payout (`LedgerTransaction.settles` is one-to-one, and the key
    finds a retry)."""
    payout = LedgerTransaction.objects.select_for_update().get(pk=payout.pk)
    leg = (
        payout.entries.filter(
            direction=LedgerEntry.Direction.CREDIT,
            clearing__kind=ClearingAccount.Kind.BANK_PAYOUT,
        )
        .select_related("clearing")
        .first()
    )
    if leg is None or leg.clearing is None:
        raise AccountsError(
            _("This ledger transaction is not a payout handed to the bank."), code="not_payout"
        )
    return ledger_clear(
        source=leg.clearing,
        target=clearing_account(region_id=leg.clearing.region_id, kind=ClearingAccount.Kind.BANK),
        amount=leg.amount,
        kind=LedgerTransaction.Kind.CLEARING,
        settles=payout,
        by=by,
        memo=f"bank confirmed payout #{payout.pk}",
        idempotency_key=f"bank-confirm:{payout.pk}",
    )
