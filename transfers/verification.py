"""Checking a printed 信息表 on the public verification page: was a table with this code
issued, by whom, when, for whom (masked), does its seal still hold, and is the file someone
holds one the portal printed.

A file is genuine when its SHA-256 is one of the table's prints (transfers.models.
InfoTablePrint, recorded each time the portal hands the PDF out): any edit, one byte or a
re-rendered amount, gives another digest. The seal is checked as well, so that a table whose
stored content no longer matches its seal is never called genuine.

Each deployment knows the files it printed. Both ends of an exchange hold the table under the
same code (transfers.codes), but a PDF printed by the other end is recorded there, and its QR
code opens that portal's page: checked here it would be called edited."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from accounts.idnumbers import mask_id_number
from accounts.masking import mask_name
from transfers.codes import normalize
from transfers.models import InfoTable, InfoTablePrint
from transfers.seal import SealError, verify


class FileVerdict(StrEnum):
    NONE = "none"  # no file given
    GENUINE = "genuine"
    ALTERED = "altered"


@dataclass(frozen=True)
class Finding:
    """What the page may tell anyone who holds the code: nothing more than the table shows,
    with the person's name and ID number masked."""

    code: str
    agency: str
    issued_on: str
    name: str
    id_number: str
    seal_problem: str  # empty when the seal holds
    file: FileVerdict

    @property
    def genuine(self) -> bool:
        return not self.seal_problem and self.file != FileVerdict.ALTERED


def table_for_code(typed: str) -> InfoTable | None:
    code = normalize(typed)
    if code is None:
        return None
    return InfoTable.objects.filter(verification_code=code).first()


def file_digest(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def _seal_problem(table: InfoTable) -> str:
    content = table.content
    try:
        verify(
            content,
            signature=table.signature,
            key_id=table.key_id,
            algorithm=table.algorithm,
            agency_code=content["origin"]["agency_code"],
        )
    except SealError as exc:
        return str(exc)
    return ""


def finding(table: InfoTable, *, digest: str | None = None) -> Finding:
    """The table's facts, and, given the SHA-256 of a file, whether it is one of its prints."""
    content = table.content
    if digest is None:
        verdict = FileVerdict.NONE
    elif InfoTablePrint.objects.filter(table=table, sha256=digest).exists():
        verdict = FileVerdict.GENUINE
    else:
        verdict = FileVerdict.ALTERED
    return Finding(
        code=table.verification_code,
        agency=content["origin"]["agency_name"],
        issued_on=content["issued_on"],
        name=mask_name(content["person"]["name"]),
        id_number=mask_id_number(content["person"]["id_number"]),
        seal_problem=_seal_problem(table),
        file=verdict,
    )
