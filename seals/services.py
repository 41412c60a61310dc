"""Seal keys: generate and rotate an agency's key, bring in a peer's public key, revoke a key;
and sealing and verifying bytes with them. Every change is a row in the audit log."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency
from audit.services import audit_record
from seals import sm2
from seals.errors import SealError
from seals.models import SealKey

logger = logging.getLogger(__name__)


@transaction.atomic
def seal_key_rotate(*, agency: Agency, by: Any) -> SealKey:
    """A new key pair becomes the agency's sealing key; the one it replaces is retired: its
    private half is wiped (it will never seal again) and its public half keeps verifying what
    it sealed."""
    # The agency's row is the lock: two rotations of one agency run one after the other.
    Agency.objects.select_for_update().filter(pk=agency.pk).first()
    now = timezone.now()
    for old in _sealing_keys(agency).select_for_update():
        old.retired_at, old.private_key = now, ""
        old.save(update_fields=["retired_at", "private_key"])
    public, private = sm2.generate()
    key = SealKey.objects.create(
        agency=agency,
        key_id=sm2.key_id(public),
        public_key=public,
        private_key=private,
        valid_from=now,
        created_by=_user(by),
    )
    audit_record(action="seal_key_rotated", user=by, object_repr=str(key), detail=agency.code)
    return key


def seal_key_add_public(
    *, agency: Agency, public_key: str, by: Any, valid_from: datetime.datetime | None = None
) -> SealKey:
    """A peer's public key, which verifies the seals that peer made and never seals."""
    try:
        public = sm2.normalise_public(public_key)
    except sm2.NotAPublicKey as exc:
        raise SealError(_("This is not an SM2 public key."), code="bad_public_key") from exc
    kid = sm2.key_id(public)
    if SealKey.objects.filter(key_id=kid).exists():
        raise SealError(_("This public key is already in the registry."), code="duplicate_key")
    key = SealKey.objects.create(
        agency=agency,
        key_id=kid,
        public_key=public,
        valid_from=valid_from or timezone.now(),
        created_by=_user(by),
    )
    audit_record(action="seal_key_added", user=by, object_repr=str(key), detail=agency.code)
    return key


@transaction.atomic
def seal_key_revoke(*, key: SealKey, by: Any, reason: str) -> None:
    """A compromised key: nothing it sealed is accepted any more, and it seals nothing."""
    key = SealKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        return
    key.revoked_at, key.revoked_reason, key.private_key = timezone.now(), reason[:200], ""
    key.save(update_fields=["revoked_at", "revoked_reason", "private_key"])
    audit_record(action="seal_key_revoked", user=by, object_repr=str(key), detail=reason)


def sealing_key(agency: Agency) -> SealKey:
    """The agency's current sealing key. An agency that never had a key gets its first one
    here (as the Ed25519 seal needed no setup, neither does this one); an agency whose keys
    were all revoked does not: someone revoked them for a reason, and a person rotates."""
    key = _sealing_keys(agency).filter(valid_from__lte=timezone.now()).first()
    if key is not None:
        return key
    if SealKey.objects.filter(agency=agency).exists():
        raise SealError(
            _(
                "%(agency)s has no valid seal key (its keys were revoked): the security "
                "administrator must generate a new one before anything can be sealed."
            )
            % {"agency": agency.name},
            code="no_seal_key",
        )
    logger.info("first seal key generated for agency %s", agency.code)
    return seal_key_rotate(agency=agency, by=None)


def seal(*, agency: Agency, message: bytes) -> tuple[str, SealKey]:
    """(signature, key) of the agency's seal over these bytes."""
    key = sealing_key(agency)
    signature = sm2.sign(private_hex=key.private_key, public_hex=key.public_key, message=message)
    return signature, key


def seal_verify(*, agency_code: str, key_id: str, message: bytes, signature: str) -> SealKey:
    """The key that made this seal, if the seal holds; else SealError saying why."""
    key = SealKey.objects.select_related("agency").filter(key_id=key_id).first()
    if key is None:
        raise SealError(
            _("The seal was made with key %(key)s, which is not in the seal key registry.")
            % {"key": key_id},
            code="unknown_key",
        )
    if key.agency.code != agency_code:
        raise SealError(
            _("The seal's key %(key)s belongs to %(owner)s, not to the agency that issued it.")
            % {"key": key_id, "owner": key.agency.name},
            code="foreign_key",
        )
    if key.revoked_at is not None:
        raise SealError(
            _("The seal was made with key %(key)s, revoked on %(date)s.")
            % {"key": key_id, "date": timezone.localdate(key.revoked_at).isoformat()},
            code="revoked_key",
        )
    if not sm2.verify(public_hex=key.public_key, message=message, signature=signature):
        raise SealError(
            _("The seal does not match the content: it was altered after sealing."),
            code="altered",
        )
    return key


def _sealing_keys(agency: Agency) -> QuerySet[SealKey]:
    return (
        SealKey.objects.filter(agency=agency, retired_at__isnull=True, revoked_at__isnull=True)
        .exclude(private_key="")
        .order_by("-valid_from")
    )


def _user(by: Any) -> Any:
    return by if by is not None and getattr(by, "is_authenticated", False) else None
