"""Record the bank's confirmation of payouts (withdrawals, transfer balances paid to a bank
account): each leaves the bank-payout clearing of its fund."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.clearing import bank_payout_confirm
from accounts.errors import AccountsError
from accounts.models import LedgerTransaction


class Command(BaseCommand):
    help = "Confirm payouts the bank has executed, by the id of their ledger transaction."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("transaction_ids", nargs="+", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        for pk in options["transaction_ids"]:
            payout = LedgerTransaction.objects.filter(pk=pk).first()
            if payout is None:
                raise CommandError(f"no ledger transaction {pk}")
            try:
                confirmation = bank_payout_confirm(payout=payout, by=None)
            except AccountsError as exc:
                raise CommandError(f"transaction {pk}: {exc.message}") from exc
            self.stdout.write(f"payout {pk} confirmed by transaction {confirmation.pk}")
