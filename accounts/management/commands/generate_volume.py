"""Fill the database with a provincial deployment's worth of data for the benchmarks."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "Generate insured persons with valid ID numbers, their enrollments, accounts and "
        "ledger (3 entries per person), and cases of every kind (0.3 per person) with their "
        "history and deadlines, about 1% of them due today; written with COPY in one "
        "transaction (see bench/volume.py)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=1_000_000)
        parser.add_argument(
            "--scale", type=float, default=1.0, help="multiplies --persons (0.002: 2,000 people)"
        )
        parser.add_argument("--entries-per-person", type=float, default=3.0)
        parser.add_argument("--cases-per-person", type=float, default=0.3)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="the day the deadlines are due on (default: today in Asia/Shanghai)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Imported here: bench/ is a development tool, not part of the installed package.
        from bench.volume import Options, generate

        persons = max(10, round(options["persons"] * options["scale"]))
        report = generate(
            Options(
                persons=persons,
                entries_per_person=options["entries_per_person"],
                cases_per_person=options["cases_per_person"],
                seed=options["seed"],
                today=options["today"] or timezone.localdate(),
                log=lambda line: self.stdout.write(line) if options["verbosity"] else None,
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{persons} persons generated in {report.total_seconds:.0f} s: "
                + ", ".join(f"{k} {v}" for k, v in report.counts.items())
            )
        )
