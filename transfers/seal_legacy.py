"""Tables sealed before the SM2 seal: an Ed25519 signature over the same canonical JSON, by
one deployment-wide key. Nothing is sealed this way any more; a table issued then and not yet
imported is still checked, against the key that sealed it.

That key is `settings.TRANSFER_SEAL_PRIVATE_KEY` (base64 of the raw 32 bytes; only its
public half is used) or one of `TRANSFER_SEAL_TRUSTED_PUBLIC_KEYS`; in local and test settings,
with neither set, the key derived from SECRET_KEY that sealed there. Once no such table waits
for import (`InfoTable.objects.filter(algorithm="ed25519", transfer__state="transferred_out")`),
this module and those settings can go."""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

ALGORITHM = "ed25519"


def _derived() -> Ed25519PrivateKey | None:
    configured = getattr(settings, "TRANSFER_SEAL_PRIVATE_KEY", None)
    if configured:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(configured))
    if not settings.TRANSFER_SEAL_LEGACY_DERIVED_KEY:
        return None
    seed = hashlib.sha256(f"transfers.seal:{settings.SECRET_KEY}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def key_id(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def trusted_keys() -> dict[str, Ed25519PublicKey]:
    keys = [
        Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded))
        for encoded in settings.TRANSFER_SEAL_TRUSTED_PUBLIC_KEYS or []
    ]
    derived = _derived()
    if derived is not None:
        keys.append(derived.public_key())
    return {key_id(k): k for k in keys}


def legacy_seal(message: bytes) -> tuple[str, str]:
    """Tests only: a table as the Ed25519 seal made it."""
    private = _derived()
    assert private is not None, "no legacy key configured"  # noqa: S101
    return base64.b64encode(private.sign(message)).decode(), key_id(private.public_key())


def legacy_verify(message: bytes, signature: str, kid: str) -> str | None:
    """None if the seal holds, else what is wrong: "unknown_key" or "altered"."""
    public = trusted_keys().get(kid)
    if public is None:
        return "unknown_key"
    try:
        public.verify(base64.b64decode(signature), message)
    except (InvalidSignature, ValueError):
        return "altered"
    return None
