"""What a transfer leaves behind besides its row: the sealed information table (信息表), the
bank payout of the balance-to-bank branch, and the queue of credits whose amount did not match
the table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.crypto import EncryptedCharField, EncryptedJSONField
from accounts.money import MONEY
from transfers.codes import verification_code
from transfers.models.transfer import Transfer


class InfoTable(models.Model):
    """《参保人员基本医疗保险信息表》: what the origin certifies about the person. `content`
    is the whole table; the seal is the origin agency's signature over its canonical JSON (SM2
    over SM3; Ed25519 before), checked by the destination before it imports (transfers.seal)."""

    transfer = models.OneToOneField(
        Transfer, verbose_name=_("transfer"), on_delete=models.PROTECT, related_name="info_table"
    )
    content = EncryptedJSONField(_("content"))
    signature = models.CharField(_("seal (signature)"), max_length=120)
    # The sealing agency is the origin the content names (so the signature covers it), and
    # the key must be that agency's (transfers.seal.verify): no unsigned copy of it here.
    key_id = models.CharField(_("sealing key id"), max_length=32)
    algorithm = models.CharField(_("seal algorithm"), max_length=16, default="SM2-SM3")
    # Printed on the table and in its QR code; derived from the signature (transfers.codes).
    verification_code = models.CharField(
        _("verification code"), max_length=19, unique=True, editable=False
    )
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("information table")
        verbose_name_plural = _("information tables")

    def __str__(self) -> str:
        return f"{self.content.get('reference', self.transfer_id)} · {self.key_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Both ends create the row (the origin sealing it, the destination receiving it): the
        # code follows from the seal wherever the row is made.
        if not self.verification_code:
            self.verification_code = verification_code(self.signature)
        super().save(*args, **kwargs)

    def _money(self, key: str) -> Decimal:
        return Decimal(str(self.content.get(key, "0.00")))

    @property
    def balance(self) -> Decimal:
        return self._money("balance")

    @property
    def individual_part(self) -> Decimal:
        return self._money("individual_part")

    @property
    def employer_part(self) -> Decimal:
        return self._money("employer_part")

    @property
    def contribution_months(self) -> int:
        return int(self.content.get("contribution_months", 0))


class InfoTablePrint(models.Model):
    """A PDF of a 信息表 as the portal handed it out, by its SHA-256: the verification page
    tells a file someone holds from an edited one by it. Printing is deterministic (the same
    table and language give the same bytes, cases.printing), so a table has a row per language
    it was printed in, not one per download; a row made by an older version of the software
    keeps recognising the files that version printed."""

    table = models.ForeignKey(
        InfoTable,
        verbose_name=_("information table"),
        on_delete=models.CASCADE,
        related_name="prints",
    )
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    language = models.CharField(_("language"), max_length=10)
    printed_at = models.DateTimeField(_("first printed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("printed information table")
        verbose_name_plural = _("printed information tables")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["table", "sha256"], name="info_table_print_once"),
        ]

    def __str__(self) -> str:
        return f"{self.table_id} · {self.sha256[:12]}"


class BankPayout(models.Model):
    """The balance paid to the applicant's own bank account instead of the destination."""

    transfer = models.OneToOneField(
        Transfer, verbose_name=_("transfer"), on_delete=models.PROTECT, related_name="payout"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    bank_name = models.CharField(_("bank"), max_length=60)
    account_number = EncryptedCharField(_("bank account number"), max_length=30)
    account_name = models.CharField(_("account holder"), max_length=50)
    ledger_transaction = models.ForeignKey(
        "accounts.LedgerTransaction",
        verbose_name=_("ledger transaction"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_on = models.DateField(_("paid on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("bank payout")
        verbose_name_plural = _("bank payouts")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id} · {self.amount}"


class CreditMismatch(models.Model):
    """A received amount that differs from the 信息表 balance, waiting for a supervisor at
    the destination to credit what came with a note, or to send it back."""

    class Resolution(models.TextChoices):
        OPEN = "", _("Open")
        CREDITED = "credited", _("Received amount credited")
        RETURNED = "returned", _("Returned to the origin")

    transfer = models.OneToOneField(
        Transfer, verbose_name=_("transfer"), on_delete=models.PROTECT, related_name="mismatch"
    )
    expected_amount = models.DecimalField(_("amount in the information table"), **MONEY)
    received_amount = models.DecimalField(_("amount received"), **MONEY)
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=Resolution.choices, blank=True, default=""
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("credit mismatch")
        verbose_name_plural = _("credit mismatches")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(received_amount__gte=0), name="mismatch_received_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.expected_amount} ≠ {self.received_amount}"
