"""Institution keys: issued to a hospital or pharmacy, and recognised on every API call."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from accounts.db import prepared_cursor
from accounts.models import Region
from family_pool.models import Institution


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def institution_issue_key(*, institution: Institution, key: str | None = None) -> str:
    """A new API key for the institution; the old one stops working at once. The key is
    returned to be shown once: only its hash is kept. `key` fixes it (demo data only)."""
    key = key or f"fp_{secrets.token_urlsafe(32)}"
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    institution.api_key_hash = hash_key(key)
    institution.api_key_prefix = key[:10]
    institution.api_key_issued_at = timezone.now()
    institution.save(update_fields=["api_key_hash", "api_key_prefix", "api_key_issued_at"])
    return key


# The institution with its region, in the models' field order (as `Model.from_db` takes them).
INSTITUTION_COLUMNS = """i.id, i.code, i.name, i.kind, i.region_id, i.active, i.api_key_prefix,
        i.api_key_issued_at, r.code, r.name, r.level, r.parent_id"""
_INSTITUTION_FIELDS = (
    "id",
    "code",
    "name",
    "kind",
    "region_id",
    "active",
    "api_key_prefix",
    "api_key_issued_at",
)
_REGION_FIELDS = ("code", "name", "level", "parent_id")
INSTITUTION_WIDTH = len(_INSTITUTION_FIELDS) + len(_REGION_FIELDS)

# By its key's hash: every API call asks, so a prepared statement and no ORM query building.
_KEY_SQL = f"""
    SELECT {INSTITUTION_COLUMNS}
    FROM family_pool_institution i JOIN accounts_region r ON r.code = i.region_id
    WHERE i.api_key_hash = %s AND i.active
"""  # noqa: S608 - constant text


def institution_of_row(row: tuple[Any, ...]) -> Institution:
    """The institution with its region from the first `INSTITUTION_WIDTH` columns of a row
    that starts with `INSTITUTION_COLUMNS`."""
    split = len(_INSTITUTION_FIELDS)
    # The fields not read (the key's hash) are deferred: read on access like any other.
    institution = Institution.from_db(DEFAULT_DB_ALIAS, _INSTITUTION_FIELDS, row[:split])
    institution.region = Region.from_db(
        DEFAULT_DB_ALIAS, _REGION_FIELDS, row[split:INSTITUTION_WIDTH]
    )
    return institution


def institution_for_key(key: str) -> Institution | None:
    if not key or len(key) > 200:
        return None
    with prepared_cursor() as cursor:
        cursor.execute(_KEY_SQL, [hash_key(key)])
        row = cursor.fetchone()
    return None if row is None else institution_of_row(row)
