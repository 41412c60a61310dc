"""The books of a transfer with another deployment (docs/EXCHANGE.md, "Money"). Each end keeps
its own double-entry ledger and its own in-transit clearing account against the peer's fund:

- origin: transfer-out debits the person into its clearing for the destination's fund (as in
  one deployment); the destination's "credited" message moves that amount out to the fund's
  bank account (the money has reached the other fund);
- destination: the origin's "balance sent" message books the money's arrival from the fund's
  bank account into its clearing for the origin's fund; the credit takes it from there.

So at each end, each clearing against a peer equals the `amount_in_transit` of its open cases
with that peer: `in_transit_differences` says where it does not."""

from __future__ import annotations

from decimal import Decimal

from accounts.clearing import clearing_account
from accounts.models import Agency, ClearingAccount, LedgerTransaction
from accounts.selectors import clearing_balances
from accounts.services import ledger_clear
from seals.peers import remote_agency_ids
from transfers.models import Transfer
from transfers.services.base import ledger_or_refuse

Kind = ClearingAccount.Kind


def arrival_book(*, transfer: Transfer, amount: Decimal, key: str) -> None:
    """The origin's balance reached this fund: bank account → clearing for the origin's fund."""
    region = transfer.destination_region_id
    ledger_or_refuse(
        lambda: ledger_clear(
            source=clearing_account(region_id=region, kind=Kind.BANK),
            target=clearing_account(
                region_id=region, kind=Kind.IN_TRANSIT, peer_id=transfer.origin_region_id
            ),
            amount=amount,
            kind=LedgerTransaction.Kind.CLEARING,
            memo=f"{transfer.case.reference} balance received from the origin",
            idempotency_key=f"exchange:{transfer.case_id}:arrived",
        )
    )


def departure_settle(*, transfer: Transfer, amount: Decimal) -> None:
    """The destination credited what it received: it has left this fund for the peer's."""
    region = transfer.origin_region_id
    ledger_or_refuse(
        lambda: ledger_clear(
            source=clearing_account(
                region_id=region, kind=Kind.IN_TRANSIT, peer_id=transfer.destination_region_id
            ),
            target=clearing_account(region_id=region, kind=Kind.BANK),
            amount=amount,
            kind=LedgerTransaction.Kind.CLEARING,
            memo=f"{transfer.case.reference} balance credited by the destination",
            idempotency_key=f"exchange:{transfer.case_id}:settled",
        )
    )


def in_transit_items() -> dict[tuple[str, str], Decimal]:
    """(this fund, peer fund) → the money in transit on the open cases between them, at this
    end: as origin when the destination is another deployment's, as destination when the
    origin is."""
    remote = remote_agency_ids()
    totals: dict[tuple[str, str], Decimal] = {}
    rows = Transfer.objects.filter(amount_in_transit__gt=0).values_list(
        "origin_region_id",
        "destination_region_id",
        "case__agency_id",
        "case__other_agency_id",
        "amount_in_transit",
    )
    for origin, destination, origin_agency, destination_agency, amount in rows:
        if destination_agency in remote:
            key = (origin, destination)
        elif origin_agency in remote:
            key = (destination, origin)
        else:
            continue
        totals[key] = totals.get(key, Decimal("0.00")) + amount
    return totals


def in_transit_differences() -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """(fund, peer fund) → (clearing balance, cases in transit) wherever the two differ, over
    every in-transit clearing account held against the fund of another deployment."""
    items = in_transit_items()
    peers = set(
        Agency.objects.filter(pk__in=remote_agency_ids()).values_list("region_id", flat=True)
    )
    accounts = list(ClearingAccount.objects.filter(kind=Kind.IN_TRANSIT, peer_id__in=peers))
    balances = clearing_balances(region_ids=[account.region_id for account in accounts])
    found: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for account in accounts:
        key = (account.region_id, str(account.peer_id))
        balance = balances.get(account.pk, Decimal("0.00"))
        expected = items.pop(key, Decimal("0.00"))
        if balance != expected:
            found[key] = (balance, expected)
    for key, expected in items.items():
        found[key] = (Decimal("0.00"), expected)
    return found
