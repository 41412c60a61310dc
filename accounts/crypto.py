"""Personal data encrypted at rest (PIPL sensitive personal information).

ID numbers, bank account numbers and the information tables that carry them are stored as
AES-256-GCM ciphertext with a random nonce, so equal values do not look equal in the
database or a dump. Exact lookups of an insured person by ID number go through a keyed
blind index (HMAC-SHA256 of the normalised number) kept in a sibling column: the
`exact` / `iexact` / `in` lookups of `BlindIndexedCharField` compile to that column, so
`InsuredPerson.objects.filter(id_number=...)` keeps working and partial-match lookups
(`contains`, `startswith`, ...) are refused rather than silently scanning ciphertext.

Keys (`config/settings/base.py`, .env.example): `PII_ENCRYPTION_KEYS` names each key by an id,
newest first; the newest encrypts, and ciphertext carries its key's id as a prefix (`k2:...`),
so that decryption picks the key that wrote it. Rotating: put a new key in front, then run
`manage.py reencrypt_personal_data`, which rewrites every encrypted value under it; only then
may the old key leave the list. A value naming a key not in the list, or carrying no key id,
is an error: nothing stored where ciphertext belongs is ever passed on as plain text.

The blind index has its own key (`PII_BLIND_INDEX_KEY`), not one of the rotating ones: it is
a keyed hash that lookups and the charging path compare as it is stored, so it must not
change while rows are being re-encrypted. In development and tests, both keys are derived
from SECRET_KEY (key id `k1`). The working keys are derived from each configured key with
HKDF, one purpose each.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import re
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Lookup, Q
from django.db.models.expressions import Col
from django.db.models.functions import Cast

# Development and tests, without configured keys: the id the first key has always had.
DEV_KEY_ID = "k1"
_KEY_ID = re.compile(r"[a-z0-9]{1,16}")
# HKDF purposes: each configured key yields one working key per use.
_ENCRYPTION = b"yibao pii encryption"
_BLIND_INDEX = b"yibao pii blind index"


class DecryptionError(ValueError):
    """A stored value that no configured key can open."""


def _master(value: str, setting: str) -> bytes:
    master = base64.b64decode(value, validate=True)
    if len(master) != 32:
        raise ImproperlyConfigured(f"{setting}: a key must be base64 of exactly 32 bytes")
    return master


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def _dev_master(secret_key: str) -> bytes:
    return hashlib.sha256(b"pii-dev-key:" + secret_key.encode()).digest()


@functools.cache
def _keyring(configured: tuple[str, ...], secret_key: str) -> tuple[tuple[str, bytes], ...]:
    """(key id, encryption key) pairs, newest first, from "id:base64" entries."""
    if not configured:
        return ((DEV_KEY_ID, _derive(_dev_master(secret_key), _ENCRYPTION)),)
    ring = []
    for entry in configured:
        key_id, _sep, value = entry.strip().partition(":")
        if not _KEY_ID.fullmatch(key_id) or not value:
            raise ImproperlyConfigured(
                "PII_ENCRYPTION_KEYS: each entry is id:base64, the id 1-16 of a-z and 0-9"
            )
        ring.append((key_id, _derive(_master(value, "PII_ENCRYPTION_KEYS"), _ENCRYPTION)))
    if len({key_id for key_id, _key in ring}) != len(ring):
        raise ImproperlyConfigured("PII_ENCRYPTION_KEYS: a key id appears twice")
    return tuple(ring)


def keyring() -> tuple[tuple[str, bytes], ...]:
    configured = tuple(getattr(settings, "PII_ENCRYPTION_KEYS", None) or ())
    return _keyring(configured, settings.SECRET_KEY)


def newest_key_id() -> str:
    return keyring()[0][0]


@functools.cache
def _index_key(configured: str | None, secret_key: str) -> bytes:
    master = _master(configured, "PII_BLIND_INDEX_KEY") if configured else _dev_master(secret_key)
    return _derive(master, _BLIND_INDEX)


def encrypt(plaintext: str) -> str:
    key_id, key = keyring()[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), None)
    return f"{key_id}:" + base64.b64encode(nonce + sealed).decode()


def decrypt(stored: str) -> str:
    key_id, sep, body = stored.partition(":")
    keys = dict(keyring())
    if not sep or key_id not in keys:
        # Never returned as it is: that would hand out whatever sits where ciphertext belongs.
        named = f"key id {key_id!r}" if sep and _KEY_ID.fullmatch(key_id) else "no key id"
        raise DecryptionError(f"stored value has {named} not in PII_ENCRYPTION_KEYS")
    raw = base64.b64decode(body)
    try:
        return AESGCM(keys[key_id]).decrypt(raw[:12], raw[12:], None).decode()
    except InvalidTag as exc:
        raise DecryptionError(f"stored value does not open with key {key_id!r}") from exc


def blind_index(value: str) -> str:
    index_key = _index_key(getattr(settings, "PII_BLIND_INDEX_KEY", None), settings.SECRET_KEY)
    normalised = value.strip().upper()
    return hmac.new(index_key, normalised.encode(), hashlib.sha256).hexdigest()


class EncryptedCharField(models.CharField):  # type: ignore[type-arg]
    """A CharField stored encrypted. `max_length` limits the plaintext; the column is text.
    The empty string stays empty so that blank values and `= ''` constraints keep working.
    Only `isnull` and comparison with "" can be looked up."""

    def db_type(self, connection: Any) -> str:
        return "text"

    def rel_db_type(self, connection: Any) -> str:
        return "text"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _EmptyOnlyExact
        raise FieldError(f"{self.name} is encrypted: '{lookup_name}' lookups are not possible")


class _EmptyOnlyExact(Lookup):  # type: ignore[type-arg]
    lookup_name = "exact"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if self.rhs != "":
            raise FieldError("an encrypted field can only be compared with the empty string")
        lhs_sql, lhs_params = compiler.compile(self.lhs)
        return f"{lhs_sql} = ''", list(lhs_params)


class BlindIndexedCharField(EncryptedCharField):
    """An encrypted field with exact lookup through a keyed blind index in `index_field`."""

    def __init__(self, *args: Any, index_field: str, **kwargs: Any) -> None:
        self.index_field = index_field
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["index_field"] = self.index_field
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        setattr(model_instance, self.index_field, blind_index(value) if value else None)
        return value

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name in ("exact", "iexact"):
            return _BlindExact
        if lookup_name == "in":
            return _BlindIn
        return super().get_lookup(lookup_name)


class _BlindLookup(Lookup):  # type: ignore[type-arg]
    prepare_rhs = False

    def _index_column(self, compiler: Any) -> tuple[str, list[Any]]:
        field = self.lhs.target
        if not isinstance(self.lhs, Col) or not isinstance(field, BlindIndexedCharField):
            raise FieldError("blind-index lookups need the plain column")
        index = cast(models.Field, field.model._meta.get_field(field.index_field))  # type: ignore[type-arg]
        sql, params = compiler.compile(Col(self.lhs.alias, index))
        return sql, list(params)


class _BlindExact(_BlindLookup):
    lookup_name = "exact"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if self.rhs == "":
            # Blank stays blank in the column itself (constraints compare with "").
            lhs_sql, lhs_params = compiler.compile(self.lhs)
            return f"{lhs_sql} = ''", list(lhs_params)
        sql, params = self._index_column(compiler)
        return f"{sql} = %s", [*params, blind_index(str(self.rhs))]


class _BlindIn(_BlindLookup):
    lookup_name = "in"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        sql, params = self._index_column(compiler)
        values = [blind_index(str(v)) for v in self.rhs]
        if not values:
            return "FALSE", []
        return f"{sql} IN ({', '.join(['%s'] * len(values))})", [*params, *values]


class EncryptedJSONField(models.TextField):  # type: ignore[type-arg]
    """A JSON document stored encrypted; in Python it is the decoded value."""

    # For django-stubs: the Python side is any JSON value, not str.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt(json.dumps(value, sort_keys=True, ensure_ascii=False))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        text = decrypt(value)
        return json.loads(text)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(decrypt(value))
        return value

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(f"{self.name} is encrypted: '{lookup_name}' lookups are not possible")


def encrypted_field_names(model: type[models.Model]) -> list[str]:
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedCharField | EncryptedJSONField)
    ]


def reencrypt_rows(model: type[models.Model], field_names: list[str]) -> int:
    """For the data migrations that switched encryption on: values stored before then are
    plain text, and are written encrypted (their blind index filled in)."""
    return _rewrite(model, field_names, batch_size=2000, plaintext_ok=True)


def rotate_rows(model: type[models.Model], field_names: list[str], *, batch_size: int) -> int:
    """Write every value of these fields not yet under the newest key again under it; return
    how many rows were written. A value no configured key opens stops the run."""
    return _rewrite(model, field_names, batch_size=batch_size, plaintext_ok=False)


def stale_rows(model: type[models.Model], field_names: list[str]) -> models.QuerySet[Any]:
    """The rows with a value of these fields not under the newest key. The stored text is
    read cast to text, so that nothing is decrypted to find them."""
    newest = f"{newest_key_id()}:"
    raw = {f"_stored_{name}": Cast(name, models.TextField()) for name in field_names}
    stale = Q(pk__in=[])
    for alias in raw:
        stale |= (
            Q(**{f"{alias}__isnull": False})
            & ~Q(**{alias: ""})
            & ~Q(**{f"{alias}__startswith": newest})
        )
    rows: models.QuerySet[Any] = model._base_manager.annotate(**raw).filter(stale)
    return rows


def _rewrite(
    model: type[models.Model], field_names: list[str], *, batch_size: int, plaintext_ok: bool
) -> int:
    # One transaction per batch, its rows locked in pk order: a save racing the rewrite waits
    # instead of being overwritten with the value read before it, and an interrupted run
    # resumes where it stopped, since rows already under the newest key are not selected.
    written, last_pk = 0, None
    aliases = [f"_stored_{name}" for name in field_names]
    while True:
        with transaction.atomic():
            rows = stale_rows(model, field_names).order_by("pk")
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            batch = list(rows.select_for_update().values("pk", *aliases)[:batch_size])
            if not batch:
                return written
            rewritten = [_reopened(model, field_names, stored, plaintext_ok) for stored in batch]
            columns = field_names + _index_fields(model, field_names)
            model._base_manager.bulk_update(rewritten, columns)
        written += len(batch)
        last_pk = batch[-1]["pk"]


def _reopened(
    model: type[models.Model], field_names: list[str], stored: dict[str, Any], plaintext_ok: bool
) -> models.Model:
    """An instance carrying the rows' values in the clear, for bulk_update to encrypt again
    under the newest key (and to compute blind indexes from)."""
    row = model(pk=stored["pk"])
    for name in field_names:
        field = model._meta.get_field(name)
        value = stored[f"_stored_{name}"]
        if value:
            known = value.partition(":")[0] in dict(keyring())
            text = decrypt(value) if known or not plaintext_ok else value
            value = json.loads(text) if isinstance(field, EncryptedJSONField) else text
        setattr(row, name, value)
        if isinstance(field, BlindIndexedCharField):
            setattr(row, field.index_field, blind_index(value) if value else None)
    return row


def _index_fields(model: type[models.Model], field_names: list[str]) -> list[str]:
    extra = []
    for name in field_names:
        field = model._meta.get_field(name)
        if isinstance(field, BlindIndexedCharField):
            extra.append(field.index_field)
    return extra
