"""The verification code printed on a 信息表 (and held in its QR code).

The code is derived from the table's seal, not drawn at random and stored: a digest of the
signature, 80 bits written as four groups of four base-32 characters (ABCD-EFGH-JKLM-NPQR).

- It cannot be guessed: the signature is made with the agency's private key, and an SM2
  signature also carries a fresh random nonce, so nobody who has not seen the sealed table
  can compute it, and 80 bits leave nothing to enumerate (the page is rate-limited besides).
- It needs no secret of its own: whoever holds the table holds the code, which is the point.
- Both ends agree on it: the destination receives the sealed table through the exchange and
  derives the same code, so a table printed at either end is checked at either portal.
- A digest under a label of its own, so the code is no part of the signature a reader could
  splice into another use.

Pure functions only: the model computes its code with them (no import of the app's models)."""

from __future__ import annotations

import base64
import hashlib
import re

LABEL = b"yibao/info-table/verification-code\x00"
LENGTH = 16
GROUP = 4
# Typed codes: base-32 uses no 0, 1, 8 or 9; read as the letters they are mistaken for.
LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})
ALPHABET = re.compile(r"[A-Z2-7]+")


def verification_code(signature: str) -> str:
    digest = hashlib.sha256(LABEL + signature.encode()).digest()
    text = base64.b32encode(digest).decode()[:LENGTH]
    return "-".join(text[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalize(typed: str) -> str | None:
    """A code as someone typed it (spaces, dashes, lower case) in the stored form; None when
    it cannot be one."""
    text = "".join(ch for ch in typed.upper() if ch.isalnum()).translate(LOOKALIKES)
    if len(text) != LENGTH or not ALPHABET.fullmatch(text):
        return None
    return "-".join(text[i : i + GROUP] for i in range(0, LENGTH, GROUP))
