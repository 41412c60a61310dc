"""The clearing report of a fund (docs/DOMAIN.md §4): each clearing account's balance next
to the open items that make it up. They must be equal; a difference is a reconciliation
finding, shown as such, never rounded away.

What each kind of clearing holds, as open items:

- in transit to a peer fund: the transfers sent there whose money has not been credited or
  returned (`Transfer.amount_in_transit`, a shortfall settled by the destination included);
- bank payouts: withdrawal payouts and transfer balances paid to a bank account whose
  ledger transaction the bank has not confirmed (`bank_payout_confirm`);
- fees collected: the fees of paid withdrawals;
- pooled fund: employer-funded parts and outstanding costs taken at withdrawals, less the
  emergency advances credited back;
- settlement (owed to institutions): the charge parts not refunded.

Contributions received and the fund's bank account are the ledger's edges to the outside
world; they hold no open items and are shown without a reconciliation.

A constant number of queries, however many items."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F

from accounts.models import Agency, ClearingAccount
from accounts.money import ZERO
from accounts.selectors import clearing_balances
from family_pool.models import ChargePart
from seals.peers import remote_agency_ids
from transfers.models import BankPayout, Transfer
from withdrawals.models import EmergencyRefund, Withdrawal

Kind = ClearingAccount.Kind
# Region, kind, peer: what names a clearing account.
Key = tuple[str, str, str | None]
RECONCILED_KINDS = (
    Kind.IN_TRANSIT,
    Kind.BANK_PAYOUT,
    Kind.FEES,
    Kind.POOLED_FUND,
    Kind.SETTLEMENT,
)


@dataclass(frozen=True)
class OpenItem:
    label: str
    amount: Decimal


@dataclass
class ClearingLine:
    key: Key
    account: ClearingAccount | None
    balance: Decimal = ZERO
    items: list[OpenItem] = field(default_factory=list)

    @property
    def reconciled(self) -> bool:
        return self.key[1] in RECONCILED_KINDS

    @property
    def items_total(self) -> Decimal:
        return sum((item.amount for item in self.items), ZERO)

    @property
    def difference(self) -> Decimal:
        return self.balance - self.items_total if self.reconciled else ZERO


def clearing_report(*, agency: Agency) -> list[ClearingLine]:
    """The clearing lines of the fund the agency runs, in kind and peer order."""
    region_ids = [agency.region_id]
    lines: dict[Key, ClearingLine] = {}
    balances = clearing_balances(region_ids=region_ids)
    for account in ClearingAccount.objects.filter(region_id__in=region_ids).select_related(
        "region", "peer"
    ):
        key = (account.region_id, account.kind, account.peer_id)
        lines[key] = ClearingLine(key, account, balances.get(account.pk, ZERO))
    for key, item in _open_items(region_ids):
        lines.setdefault(key, ClearingLine(key, None)).items.append(item)
    return sorted(lines.values(), key=lambda line: (line.key[1], line.key[2] or ""))


def clearing_findings(*, agency: Agency) -> list[ClearingLine]:
    """The lines whose balance differs from their open items."""
    return [line for line in clearing_report(agency=agency) if line.difference != 0]


def _open_items(region_ids: list[str]) -> list[tuple[Key, OpenItem]]:
    found: list[tuple[Key, OpenItem]] = []
    in_transit = Transfer.objects.filter(
        origin_region_id__in=region_ids, amount_in_transit__gt=0
    ).values_list(
        "origin_region_id", "destination_region_id", "case__reference", "amount_in_transit"
    )
    for region, peer, reference, amount in in_transit:
        found.append(((region, Kind.IN_TRANSIT, peer), OpenItem(reference, amount)))
    # From an origin of another deployment, the money received and not yet credited sits in
    # this fund's clearing for the origin's fund (transfers.exchange.money).
    received = Transfer.objects.filter(
        destination_region_id__in=region_ids,
        amount_in_transit__gt=0,
        case__agency_id__in=remote_agency_ids(),
    ).values_list(
        "destination_region_id", "origin_region_id", "case__reference", "amount_in_transit"
    )
    for region, peer, reference, amount in received:
        found.append(((region, Kind.IN_TRANSIT, peer), OpenItem(reference, amount)))
    found += _withdrawal_items(region_ids)
    payouts = BankPayout.objects.filter(
        transfer__origin_region_id__in=region_ids, ledger_transaction__settled_by__isnull=True
    ).values_list("transfer__origin_region_id", "transfer__case__reference", "amount")
    for region, reference, amount in payouts:
        found.append(((region, Kind.BANK_PAYOUT, None), OpenItem(reference, amount)))
    refunds = EmergencyRefund.objects.filter(
        account__enrollment__region_id__in=region_ids, credit_transaction__isnull=False
    ).values_list("account__enrollment__region_id", "case__reference", "approved_amount")
    for region, reference, amount in refunds:
        found.append(((region, Kind.POOLED_FUND, None), OpenItem(reference, -amount)))
    parts = ChargePart.objects.filter(
        charge__institution__region_id__in=region_ids, refund_transaction__isnull=True
    ).values_list(
        "charge__institution__region_id",
        "charge__institution__code",
        "charge__settlement_number",
        "amount",
    )
    for region, code, number, amount in parts:
        found.append(((region, Kind.SETTLEMENT, None), OpenItem(f"{code} {number}", amount)))
    return found


def _withdrawal_items(region_ids: list[str]) -> list[tuple[Key, OpenItem]]:
    found: list[tuple[Key, OpenItem]] = []
    paid = Withdrawal.objects.filter(
        account__enrollment__region_id__in=region_ids, payout_transaction__isnull=False
    ).values_list(
        "account__enrollment__region_id",
        "case__reference",
        "payout_amount",
        "fee",
        "employer_part",
        "outstanding_costs",
        F("payout_transaction__settled_by"),
    )
    for region, reference, payout, fee, employer, outstanding, settled in paid:
        if settled is None:
            found.append(((region, Kind.BANK_PAYOUT, None), OpenItem(reference, payout)))
        if fee:
            found.append(((region, Kind.FEES, None), OpenItem(reference, fee)))
        pooled = (employer or ZERO) + outstanding
        if pooled:
            found.append(((region, Kind.POOLED_FUND, None), OpenItem(reference, pooled)))
    return found
