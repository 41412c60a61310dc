"""`manage.py exchange_peer CODE URL AGENCY_CODE[=PUBLIC_KEY_HEX] ...`: register (or move) the
agencies another deployment runs and the address of its exchange endpoint; a public key given
with an agency is added to the seal key registry, to check that agency's messages and 信息表."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Agency
from seals.errors import SealError
from seals.models import SealKey
from seals.peers import peer_register
from seals.services import seal_key_add_public


class Command(BaseCommand):
    help = "Register a peer deployment: its code, its exchange address and the agencies it runs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("url", help="e.g. http://127.0.0.1:8001/exchange/inbox/")
        parser.add_argument("agencies", nargs="+", metavar="AGENCY_CODE[=PUBLIC_KEY]")
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        pairs = [item.partition("=") for item in options["agencies"]]
        agencies = {a.code: a for a in Agency.objects.filter(code__in=[p[0] for p in pairs])}
        unknown = [code for code, _sep, _key in pairs if code not in agencies]
        if unknown:
            raise CommandError(f"No agency with code {', '.join(unknown)}.")
        for code, _sep, key in pairs:
            if key and not SealKey.objects.filter(agency=agencies[code], public_key=key).exists():
                try:
                    seal_key_add_public(agency=agencies[code], public_key=key, by=None)
                except SealError as exc:
                    raise CommandError(f"{code}: {exc.message}") from exc
        peer = peer_register(
            code=options["code"],
            name=options["name"] or options["code"],
            url=options["url"],
            agencies=agencies.values(),
            by=None,
        )
        self.stdout.write(f"{peer.code}: {peer.url} runs {', '.join(sorted(agencies))}")
