from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from audit.services import RETENTION_DAYS, AuditError, audit_purge


class Command(BaseCommand):
    help = f"Delete audit records older than N days (N at least {RETENTION_DAYS})."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than-days", type=int, default=RETENTION_DAYS)

    def handle(self, *args: Any, **options: Any) -> None:
        before = timezone.now() - datetime.timedelta(days=options["older_than_days"])
        try:
            deleted = audit_purge(before=before)
        except AuditError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"purge_audit: {deleted} records older than {before:%Y-%m-%d} deleted")
