"""A message as it crosses: an envelope naming the message, the case, the sending and the
receiving agency, the kind and the message it depends on, around the kind's body; sealed by
the sending agency (SM2 over SM3 of the canonical JSON, the 信息表's seal, seals.services)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from accounts.models import Agency
from seals.errors import SealError
from seals.services import seal, seal_verify

FIELDS = ("id", "kind", "reference", "sender", "recipient", "depends_on", "sent_at", "body")


class BadEnvelope(Exception):
    """The message cannot be applied as sent: the answer says why, and it is not retried."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} does not cross")


def canonical(data: dict[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8, amounts as strings: the bytes both ends seal."""
    return json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain
    ).encode()


def signed_part(envelope: dict[str, Any]) -> dict[str, Any]:
    return {name: envelope.get(name) for name in FIELDS}


def sealed(envelope: dict[str, Any], *, agency: Agency) -> dict[str, Any]:
    """The envelope with the sending agency's seal: key id and signature."""
    plain = json.loads(canonical(signed_part(envelope)))
    signature, key = seal(agency=agency, message=canonical(plain))
    return {**plain, "key_id": key.key_id, "signature": signature}


def check_seal(envelope: dict[str, Any]) -> None:
    """Refuse unless the named sending agency's registered key made this seal."""
    missing = [name for name in (*FIELDS, "key_id", "signature") if name not in envelope]
    if missing:
        raise BadEnvelope(f"missing fields: {', '.join(missing)}", code="malformed")
    try:
        seal_verify(
            agency_code=str(envelope["sender"]),
            key_id=str(envelope["key_id"]),
            message=canonical(signed_part(envelope)),
            signature=str(envelope["signature"]),
        )
    except SealError as exc:
        raise BadEnvelope(str(exc.message), code=f"seal_{exc.code}") from exc
