"""The electronic seal of the 信息表: an Ed25519 signature over the canonical JSON of its
content.

The signing key is `settings.TRANSFER_SEAL_PRIVATE_KEY` (base64 of the raw 32 bytes). In
production it must come from the environment; in local and test settings it is left None
and derived from SECRET_KEY, so that a developer gets a stable key without configuring one.
The key id (a hash of the public key) is stored with every table: after a key rotation the
old public keys stay trusted through `TRANSFER_SEAL_TRUSTED_PUBLIC_KEYS`, and a table is
checked against the key it names."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings


class SealError(Exception):
    """The table's seal does not hold: it was altered, or sealed with an unknown key."""


def canonical(content: dict[str, Any]) -> bytes:
    """One byte string per content: sorted keys, no spaces, UTF-8 (Chinese kept as is)."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def signing_key() -> Ed25519PrivateKey:
    configured = getattr(settings, "TRANSFER_SEAL_PRIVATE_KEY", None)
    if configured:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(configured))
    # Local and test settings only (production requires the variable): a key that follows
    # SECRET_KEY, so it is stable across restarts without any setup.
    seed = hashlib.sha256(f"transfers.seal:{settings.SECRET_KEY}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw(public)).hexdigest()[:16]


def trusted_keys() -> dict[str, Ed25519PublicKey]:
    """The current public key and any earlier ones still trusted, by key id."""
    keys = [signing_key().public_key()]
    for encoded in getattr(settings, "TRANSFER_SEAL_TRUSTED_PUBLIC_KEYS", []) or []:
        keys.append(Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded)))
    return {key_id(k): k for k in keys}


def seal(content: dict[str, Any]) -> tuple[str, str]:
    """(signature in base64, key id) for this content."""
    private = signing_key()
    signature = private.sign(canonical(content))
    return base64.b64encode(signature).decode(), key_id(private.public_key())


def verify(content: dict[str, Any], signature: str, kid: str) -> None:
    public = trusted_keys().get(kid)
    if public is None:
        raise SealError("unknown sealing key")
    try:
        public.verify(base64.b64decode(signature), canonical(content))
    except (InvalidSignature, ValueError) as exc:
        raise SealError("signature does not match the content") from exc
