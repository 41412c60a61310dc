"""SM2 signatures over SM3 digests (GB/T 32918, GB/T 35276), as GB/T 38540 seals are made:
the digest covers Z (the signer's default identity 1234567812345678 and public key) and the
message; signatures are ASN.1 DER (r, s), stored in base64.

gmssl-pyx wraps GmSSL 3 (C): key generation and the signature's nonce come from the
operating system's random source. (The pure-Python `gmssl` draws the nonce with
`random.choice`, which is predictable, and a predictable nonce gives away the private key.)"""

from __future__ import annotations

import base64
import binascii

from gmssl_pyx import (
    GmsslInnerError,
    InvalidValueError,
    normalize_sm2_public_key,
    sm2_key_generate,
    sm2_sign,
    sm2_verify,
    sm3_hash,
)

ALGORITHM = "SM2-SM3"


class NotAPublicKey(ValueError):
    """Not an SM2 public key (wrong length, not hex, not a point of the curve)."""


def generate() -> tuple[str, str]:
    """(public key, private key), both hex: 64 bytes x‖y and 32 bytes."""
    public, private = sm2_key_generate()
    return bytes(public).hex(), bytes(private).hex()


def normalise_public(text: str) -> str:
    """A public key as pasted (hex, 64 or 65 bytes with the 04 prefix, or compressed), as
    the 128 hex digits stored; refused unless it is a point of the SM2 curve."""
    try:
        raw: bytes = normalize_sm2_public_key(text.strip().lower())
    except (InvalidValueError, binascii.Error, ValueError) as exc:
        raise NotAPublicKey(str(exc)) from exc
    return raw.hex()


def key_id(public_hex: str) -> str:
    """The key's name everywhere: the first 16 bytes of the SM3 digest of the public key."""
    digest: bytes = sm3_hash(bytes.fromhex(public_hex))
    return digest[:16].hex()


def sign(*, private_hex: str, public_hex: str, message: bytes) -> str:
    signature: bytes = sm2_sign(bytes.fromhex(private_hex), bytes.fromhex(public_hex), message)
    return base64.b64encode(signature).decode()


def verify(*, public_hex: str, message: bytes, signature: str) -> bool:
    try:
        der = base64.b64decode(signature, validate=True)
        return bool(sm2_verify(bytes.fromhex(public_hex), message, der))
    except (GmsslInnerError, binascii.Error, ValueError):
        return False
