from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.demo import load_demo


class Command(BaseCommand):
    help = "Create demo agencies, staff, insured persons and balances (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons-per-agency", type=int, default=80)

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_demo(persons_per_agency=options["persons_per_agency"])
        self.stdout.write(
            f"demo: {result.persons} insured persons in {len(result.staff) // 5} agencies"
        )
        self.stdout.write("\nStaff logins (username / password):")
        for username, password, what in result.staff:
            self.stdout.write(f"  {username:<22} {password}   {what}")
        self.stdout.write("\nApplicant logins (ID number or mobile / password):")
        for id_number, password, what in result.applicants:
            self.stdout.write(f"  {id_number:<22} {password}   {what}")
