"""A provincial deployment's worth of data, written with COPY (issue #7, item 1).

Insured persons with valid resident ID numbers in the counties of several provinces, their
enrollments and personal accounts, ledger entries each with its transaction (every balance
the sum of its entries, never negative), and cases of every kind in a realistic mix of
states: mostly closed, the open ones filed in the last weeks with their deadlines running,
and about one deadline row in a hundred due for the sweep today.

Everything is decided by a seeded generator and by the person's index, so the same options
give the same data; ID numbers, phone numbers and references are unique by construction
(see `id_number`). One transaction: a failed run leaves nothing behind.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from django.conf import settings
from django.db import connection

from bench.volume.generator import Generator
from bench.volume.model import Options, Report
from bench.volume.people import birth_ordinal, id_number, phone_number

__all__ = ["Options", "Report", "generate", "generation_day", "id_number", "phone_number"]
__all__ += ["birth_ordinal", "marker"]


def marker() -> Path:
    """Where the last generation into this database is described (.var/, git-ignored)."""
    return Path(settings.BASE_DIR) / ".var" / f"volume-{connection.settings_dict['NAME']}.json"


def generate(options: Options) -> Report:
    report = Generator(options).run()
    marker().parent.mkdir(parents=True, exist_ok=True)
    marker().write_text(
        json.dumps(
            {
                "database": connection.settings_dict["NAME"],
                "persons": options.persons,
                "today": report.today,
                "seconds": round(report.total_seconds, 1),
                "counts": report.counts,
                "steps": report.seconds,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    return report


def generation_day(default: datetime.date) -> datetime.date:
    """The "today" the volume in this database was generated for (its deadlines are due on
    it), or `default` when no marker names this database."""
    try:
        described = json.loads(marker().read_text())
    except (OSError, ValueError):
        return default
    return datetime.date.fromisoformat(described["today"])
