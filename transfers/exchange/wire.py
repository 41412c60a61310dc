"""What a message's body carries, for the kinds whose body is more than a date: written by the
sending end's step, read by the receiving end's handler."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from transfers.models import InfoTable, Transfer


def application_body(transfer: Transfer) -> dict[str, Any]:
    case = transfer.case
    return {
        "person": {"name": case.person.name, "id_number": case.person.id_number},
        "transfer_type": transfer.transfer_type,
        "origin_region": transfer.origin_region_id,
        "destination_region": transfer.destination_region_id,
        "contact_phone": transfer.contact_phone,
        "channel": case.channel,
        "applied_on": transfer.applied_on.isoformat(),
        "payout_reason": transfer.payout_reason,
        "bank": {
            "bank_name": transfer.bank_name,
            "number": transfer.bank_account_number,
            "holder": transfer.bank_account_name,
        },
    }


def info_table_body(transfer: Transfer, table: InfoTable) -> dict[str, Any]:
    """The sealed table itself, as the origin sealed it: the destination checks that seal
    again when it imports (transfers.services.destination._verified_table)."""
    assert transfer.transferred_out_on is not None  # noqa: S101 - set by the transition
    return {
        "content": table.content,
        "signature": table.signature,
        "key_id": table.key_id,
        "algorithm": table.algorithm,
        "money_mode": transfer.money_mode,
        "on": transfer.transferred_out_on.isoformat(),
    }


def balance_sent_body(transfer: Transfer, amount: Decimal) -> dict[str, Any]:
    return {
        "amount": str(amount),
        "payment_reference": f"transfer:{transfer.case.reference}:move",
    }
