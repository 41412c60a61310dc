"""What the portal hands out on paper: each distinct PDF of a 信息表 is recorded by its
digest, so that the verification page can recognise it later (transfers.verification)."""

from __future__ import annotations

import hashlib

from transfers.models import InfoTable, InfoTablePrint


def info_table_print_record(*, table: InfoTable, pdf: bytes, language: str) -> InfoTablePrint:
    """Idempotent: printing is deterministic, so a second download of the same table in the
    same language finds its row (the unique constraint settles two downloads at once)."""
    digest = hashlib.sha256(pdf).hexdigest()
    row, _ = InfoTablePrint.objects.get_or_create(
        table=table, sha256=digest, defaults={"language": language}
    )
    return row
