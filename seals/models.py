"""The registry of seal keys (电子印章密钥): each agency's SM2 key pairs, and the public keys
of peers whose seals this deployment must check (docs/DOMAIN.md §4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.crypto import EncryptedCharField
from accounts.models import Agency


class SealKey(models.Model):
    """One SM2 key of one agency. With a private key it can seal; without one (a retired key,
    or a peer's key brought in by its public half) it only verifies. A revoked key verifies
    nothing any more: what it sealed is refused."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="seal_keys"
    )
    key_id = models.CharField(_("key id"), max_length=32, unique=True)
    public_key = models.CharField(_("public key (hex)"), max_length=128)
    # Encrypted at rest with the personal-data keys (accounts.crypto): a database dump alone
    # cannot seal. Blank for a key that only verifies.
    private_key = EncryptedCharField(_("private key"), max_length=64, blank=True, editable=False)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_reason = models.CharField(_("reason for revocation"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("seal key")
        verbose_name_plural = _("seal keys")
        constraints = [
            # One key seals for an agency at a time: a rotation retires the old one in the same
            # transaction as it creates the new one, so two concurrent rotations cannot both win.
            models.UniqueConstraint(
                fields=["agency"],
                condition=Q(retired_at__isnull=True, revoked_at__isnull=True) & ~Q(private_key=""),
                name="seals_one_sealing_key_per_agency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} · {self.key_id}"

    @property
    def can_seal(self) -> bool:
        return bool(self.private_key) and self.retired_at is None and self.revoked_at is None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return str(_("Revoked"))
        if self.retired_at is not None:
            return str(_("Retired (verifies only)"))
        if not self.private_key:
            return str(_("Public key only"))
        return str(_("Sealing"))


class Peer(models.Model):
    """Another deployment of the portal (another province's system, reached through the
    national platform): where its exchange endpoint answers. The agencies assigned to it are
    not this deployment's; their public keys are ordinary `SealKey` rows without a private
    half, so that a peer's message and a peer's 信息表 are checked against one registry."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("exchange address"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("peer deployment")
        verbose_name_plural = _("peer deployments")

    def __str__(self) -> str:
        return self.name


class PeerAgency(models.Model):
    """An agency run by a peer deployment. An agency is assigned to at most one peer; one
    assigned to none is this deployment's own."""

    agency = models.OneToOneField(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="peer_link"
    )
    peer = models.ForeignKey(
        Peer, verbose_name=_("peer deployment"), on_delete=models.PROTECT, related_name="agencies"
    )

    class Meta:
        verbose_name = _("agency of a peer deployment")
        verbose_name_plural = _("agencies of peer deployments")

    def __str__(self) -> str:
        return f"{self.agency_id} → {self.peer_id}"
