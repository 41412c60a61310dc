"""The electronic seal of the 信息表: the origin agency's SM2 signature over the SM3 digest of
the table's canonical JSON (GB/T 38540; keys in the seals app's registry). The table records
the key and algorithm; the agency is the origin its content names, and the destination checks
that the key is that agency's, against the registry, before importing anything. Tables
sealed before, with Ed25519, are checked as they were sealed (transfers.seal_legacy)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Agency
from seals import sm2
from seals.errors import SealError
from seals.services import seal as seal_bytes
from seals.services import seal_verify
from transfers.seal_legacy import ALGORITHM as LEGACY
from transfers.seal_legacy import legacy_verify

ALGORITHM = sm2.ALGORITHM

__all__ = ["ALGORITHM", "LEGACY", "Seal", "SealError", "canonical", "seal", "verify"]


@dataclass(frozen=True)
class Seal:
    signature: str
    key_id: str
    algorithm: str = ALGORITHM


def canonical(content: dict[str, Any]) -> bytes:
    """One byte string per content: sorted keys, no spaces, UTF-8 (Chinese kept as is)."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def seal(content: dict[str, Any], *, agency: Agency) -> Seal:
    signature, key = seal_bytes(agency=agency, message=canonical(content))
    return Seal(signature=signature, key_id=key.key_id)


def verify(
    content: dict[str, Any], *, signature: str, key_id: str, algorithm: str, agency_code: str
) -> None:
    """Raise SealError unless the seal holds. `agency_code` is the agency the table says
    issued it: a key of another agency does not vouch for it."""
    message = canonical(content)
    if algorithm == LEGACY:
        problem = legacy_verify(message, signature, key_id)
        if problem == "unknown_key":
            raise SealError(
                _("The seal was made with key %(key)s, which is not in the seal key registry.")
                % {"key": key_id},
                code="unknown_key",
            )
        if problem is not None:
            raise SealError(
                _("The seal does not match the content: it was altered after sealing."),
                code="altered",
            )
        return
    if algorithm != ALGORITHM:
        raise SealError(
            _("The seal uses %(algorithm)s, which is not accepted.") % {"algorithm": algorithm},
            code="unknown_algorithm",
        )
    seal_verify(agency_code=agency_code, key_id=key_id, message=message, signature=signature)
