"""Check the ledger: every transaction's debits equal its credits, every personal account's
balance equals the sum of its entries, and all accounts (personal and clearing) sum to zero."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import ledger_differences, ledger_total, unbalanced_transactions


class Command(BaseCommand):
    help = (
        "Verify debits == credits in every ledger transaction, balance == sum(entries) for "
        "every personal account, and a zero sum over all accounts; exit 1 on any difference."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = []
        unbalanced = unbalanced_transactions()
        for pk, net in unbalanced:
            self.stderr.write(f"transaction {pk}: credits - debits = {net}")
        if unbalanced:
            problems.append(f"{len(unbalanced)} transaction(s) whose debits differ from credits")
        differences = ledger_differences()
        for pk, balance, entries in differences:
            self.stderr.write(f"account {pk}: balance {balance} != entries {entries}")
        if differences:
            problems.append(f"{len(differences)} account(s) differ from their ledger entries")
        total = ledger_total()
        if total != 0:
            self.stderr.write(f"all accounts together: {total}, not 0")
            problems.append("the accounts do not sum to zero")
        if problems:
            raise CommandError("; ".join(problems))
        self.stdout.write(
            self.style.SUCCESS(
                "ledger ok: every transaction balances, every balance equals its entries"
            )
        )
