"""The rows of the exchange: messages this deployment sends (an outbox, written in the step's
transaction) and messages it received (kept, applied exactly once)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    APPLICATION = "application", _("Application forwarded")
    ACCEPTED = "accepted", _("Application accepted")
    REFUSED = "refused", _("Application refused")
    CANCELLED = "cancelled", _("Application cancelled")
    DOCUMENTS_REQUESTED = "documents_requested", _("Documents requested")
    DOCUMENTS_RECEIVED = "documents_received", _("Documents received")
    INFO_TABLE = "info_table", _("Information table issued")
    BALANCE_SENT = "balance_sent", _("Balance sent")
    TRANSFERRED_IN = "transferred_in", _("Transferred in")
    CREDITED = "credited", _("Received and credited")
    MISMATCH = "mismatch", _("Amount mismatch")


class ClosedByHand(models.Model):
    """A message a member of staff closed by hand, with why (the exchange page)."""

    closed_reason = models.TextField(_("why closed by hand"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True


class OutboundMessage(ClosedByHand):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be delivered")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Refused by the peer")
        CLOSED = "closed", _("Closed by hand")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    peer = models.ForeignKey(
        "seals.Peer", verbose_name=_("peer deployment"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=MessageKind.choices)
    # This end's messages of one case, numbered: each depends on the one before it.
    sequence = models.PositiveIntegerField(_("sequence"))
    # The signed envelope exactly as it is posted: a retry sends the same bytes.
    envelope = models.JSONField(_("signed message"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_answer = models.TextField(_("peer's last answer"), blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing exchange message")
        verbose_name_plural = _("outgoing exchange messages")
        ordering: ClassVar = ["created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["case", "sequence"], name="exchange_out_sequence"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["status", "next_attempt_at"], name="exchange_out_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class InboundMessage(ClosedByHand):
    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        WAITING = "waiting", _("Waiting for an earlier message")
        REFUSED = "refused", _("Refused")
        CLOSED = "closed", _("Closed by hand")

    message_id = models.UUIDField(_("message id"))
    kind = models.CharField(_("kind"), max_length=30, blank=True)
    reference = models.CharField(_("case reference"), max_length=40, blank=True)
    sender = models.CharField(_("sending agency"), max_length=20, blank=True)
    depends_on = models.UUIDField(_("depends on"), null=True, blank=True)
    envelope = models.JSONField(_("signed message"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incoming exchange message")
        verbose_name_plural = _("incoming exchange messages")
        ordering: ClassVar = ["received_at"]
        constraints: ClassVar = [
            # Exactly once: a message that was applied or is waiting is kept once; a refused
            # copy (a bad seal, a wrong state) does not stop the genuine one being sent again.
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~Q(status="refused"),
                name="exchange_in_once_per_message",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["status", "depends_on"], name="exchange_in_waiting_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"

    @property
    def kind_display(self) -> str:
        """The kind in words; empty for a kind this end does not know (a refused message
        shows what it said, as data)."""
        return str(MessageKind(self.kind).label) if self.kind in MessageKind.values else ""
