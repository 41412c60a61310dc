"""`manage.py rotate_seal_key 441900-01 [...]`: a new sealing key for each agency named (its
first, or in place of the current one, which then only verifies)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Agency
from seals.services import seal_key_rotate


class Command(BaseCommand):
    help = "Generate a new SM2 sealing key for each agency named by its code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agency_codes", nargs="+", metavar="AGENCY_CODE")

    def handle(self, *args: Any, **options: Any) -> None:
        codes: list[str] = options["agency_codes"]
        agencies = {a.code: a for a in Agency.objects.filter(code__in=codes)}
        unknown = [code for code in codes if code not in agencies]
        if unknown:
            raise CommandError(f"No agency with code {', '.join(unknown)}.")
        for code in codes:
            key = seal_key_rotate(agency=agencies[code], by=None)
            self.stdout.write(f"{code}: sealing key {key.key_id}, public key {key.public_key}")
