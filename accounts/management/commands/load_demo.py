from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.demo import DEMO_OTP_SECRET, load_demo
from accounts.roles import Role

# Each workflow app adds its demo cases with `<app>.demo.load_demo() -> list[str]` (lines to
# print), idempotent, run after the people and accounts exist.
WORKFLOW_DEMOS = (
    "transfers.demo.load_demo",
    "family_pool.demo.load_demo",
    "withdrawals.demo.load_demo",
    "transfers.demo_applicants.load_demo_applicants",
)


class Command(BaseCommand):
    help = "Create demo agencies, staff, insured persons and balances (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons-per-agency", type=int, default=80)

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_demo(persons_per_agency=options["persons_per_agency"])
        self.stdout.write(
            f"demo: {result.persons} insured persons in {len(result.staff) // len(Role)} agencies"
        )
        self.stdout.write("\nStaff logins (username / password):")
        for username, password, what in result.staff:
            self.stdout.write(f"  {username:<22} {password}   {what}")
        self.stdout.write(
            f"  Staff also enter a code from an authenticator app (TOTP) set up with the secret "
            f"{DEMO_OTP_SECRET}, the same for every demo staff user."
        )
        self.stdout.write("\nApplicant logins (ID number or mobile / password):")
        for id_number, password, what in result.applicants:
            self.stdout.write(f"  {id_number:<22} {password}   {what}")
        for dotted in WORKFLOW_DEMOS:
            module, _sep, name = dotted.rpartition(".")
            if importlib.util.find_spec(module) is None:
                continue
            for line in getattr(importlib.import_module(module), name)():
                self.stdout.write(line)
