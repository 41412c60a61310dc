"""Personal data encrypted at rest (PIPL sensitive personal information).

ID numbers, bank account numbers and the information tables that carry them are stored as
AES-256-GCM ciphertext with a random nonce, so equal values do not look equal in the
database or a dump. Exact lookups of an insured person by ID number go through a keyed
blind index (HMAC-SHA256 of the normalised number) kept in a sibling column: the
`exact` / `iexact` / `in` lookups of `BlindIndexedCharField` compile to that column, so
`InsuredPerson.objects.filter(id_number=...)` keeps working and partial-match lookups
(`contains`, `startswith`, ...) are refused rather than silently scanning ciphertext.

Keys: `PII_ENCRYPTION_KEY` (base64 of 32 random bytes) from the environment in production;
in development and tests a key is derived from SECRET_KEY. Both working keys are derived
from it with HKDF, one for encryption and one for the index. Ciphertext is prefixed with a
key id so that a later key can be added without re-encrypting at once.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
from typing import Any, cast

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import models
from django.db.models import Lookup
from django.db.models.expressions import Col

PREFIX = "k1:"


@functools.cache
def _keys(master_b64: str | None, secret_key: str) -> tuple[bytes, bytes]:
    if master_b64:
        master = base64.b64decode(master_b64)
        if len(master) != 32:
            raise ValueError("PII_ENCRYPTION_KEY must be base64 of exactly 32 bytes")
    else:
        master = hashlib.sha256(b"pii-dev-key:" + secret_key.encode()).digest()

    def derive(purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)

    return derive(b"yibao pii encryption"), derive(b"yibao pii blind index")


def _current_keys() -> tuple[bytes, bytes]:
    return _keys(getattr(settings, "PII_ENCRYPTION_KEY", None), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    key, _index = _current_keys()
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), None)
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before encryption was switched on; re-encrypted on save
    key, _index = _current_keys()
    raw = base64.b64decode(stored[len(PREFIX) :])
    return AESGCM(key).decrypt(raw[:12], raw[12:], None).decode()


def blind_index(value: str) -> str:
    _key, index_key = _current_keys()
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


def reencrypt_rows(model: type[models.Model], field_names: list[str]) -> None:
    """For data migrations: write rows stored before encryption again, encrypted (and their
    blind index filled in). Rows already encrypted are written again unchanged in meaning."""
    rows = model._default_manager.all().only("pk", *field_names)
    for row in rows.iterator(chunk_size=2000):
        row.save(update_fields=field_names + _index_fields(model, field_names))


def _index_fields(model: type[models.Model], field_names: list[str]) -> list[str]:
    extra = []
    for name in field_names:
        field = model._meta.get_field(name)
        if isinstance(field, BlindIndexedCharField):
            extra.append(field.index_field)
    return extra
