"""Re-encrypt every encrypted field under the newest key of PII_ENCRYPTION_KEYS.

Run after putting a new key in front of the list; once it reports nothing left (`--check`
exits 0), the older keys may leave the list. Safe to run again, and to stop and restart: only
values not yet under the newest key are written. The blind indexes have their own key
(PII_BLIND_INDEX_KEY) and do not change; they are recomputed from the values all the same.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.crypto import encrypted_field_names, newest_key_id, rotate_rows, stale_rows


class Command(BaseCommand):
    help = "Re-encrypt personal data under the newest key of PII_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; exit 1 if any value is not under the newest key yet",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        newest = newest_key_id()
        left = 0
        for model in apps.get_models():
            fields = encrypted_field_names(model)
            if not fields:
                continue
            label = f"{model._meta.label} ({', '.join(fields)})"
            if options["check"]:
                count = stale_rows(model, fields).count()
                left += count
                self.stdout.write(f"{label}: {count} rows not under key {newest}")
            else:
                written = rotate_rows(model, fields, batch_size=options["batch_size"])
                self.stdout.write(f"{label}: {written} rows re-encrypted under key {newest}")
        if left:
            raise CommandError(f"{left} rows are not under key {newest} yet")
