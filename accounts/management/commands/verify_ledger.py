"""Check that every personal account's balance equals the sum of its ledger entries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import ledger_differences


class Command(BaseCommand):
    help = "Verify balance == sum(entries) for every personal account; exit 1 on any difference."

    def handle(self, *args: Any, **options: Any) -> None:
        differences = ledger_differences()
        for pk, balance, total in differences:
            self.stderr.write(f"account {pk}: balance {balance} != entries {total}")
        if differences:
            raise CommandError(f"{len(differences)} account(s) differ from their ledger entries")
        self.stdout.write(self.style.SUCCESS("ledger ok: every balance equals its entries"))
