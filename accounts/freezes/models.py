"""A freeze of a personal account and the documents it rests on.

The documents are not case documents: a freeze is no case (no applicant, no steps, no
deadline), and a case opened only to hold a court order would show up in every case list.
They are checked like case documents (`cases.documents.check_upload`) and kept in the same
private storage.

The models name `accounts.PersonalAccount` by label, not by import: `accounts.models`
imports this module so that Django finds the models, and an import back would be a cycle."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.storage import document_storage


class FreezeKind(models.TextChoices):
    JUDICIAL = "judicial", _("Judicial freeze")
    SUSPECTED_FRAUD = "suspected_fraud", _("Suspected fraud")
    DEATH_REPORTED = "death_reported", _("Death reported, not yet settled")


def _freeze_document_path(instance: FreezeDocument, filename: str) -> str:
    # The stored name never comes from the uploader: no path tricks, no guessable names.
    return f"freezes/{uuid.uuid4().hex}{instance.extension}"


class FreezeDocument(models.Model):
    """The order, report or certificate a freeze is set or lifted on."""

    file = models.FileField(
        _("file"), upload_to=_freeze_document_path, storage=document_storage, max_length=200
    )
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("freeze document")
        verbose_name_plural = _("freeze documents")

    def __str__(self) -> str:
        return self.original_name

    @property
    def extension(self) -> str:
        return {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}.get(
            self.content_type, ".bin"
        )


class AccountFreeze(models.Model):
    """One freeze: set with a kind, a reason and a document, lifted (解冻) the same way.
    `reason` and `lift_reason` are the agency's notes; the holder is shown the kind only."""

    account = models.ForeignKey(
        "accounts.PersonalAccount",
        verbose_name=_("personal account"),
        on_delete=models.PROTECT,
        related_name="freezes",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=FreezeKind.choices)
    reason = models.TextField(_("reason"))
    document = models.ForeignKey(
        FreezeDocument, verbose_name=_("document"), on_delete=models.PROTECT, related_name="+"
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("frozen by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    set_at = models.DateTimeField(_("frozen at"), default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lift_reason = models.TextField(_("reason for lifting"), blank=True)
    lift_document = models.ForeignKey(
        FreezeDocument,
        verbose_name=_("document for lifting"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("account freeze")
        verbose_name_plural = _("account freezes")
        ordering: ClassVar = ["-set_at", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=~Q(reason=""), name="freeze_has_reason"),
            # A freeze is lifted by someone, at a time, for a reason, on a document: all four
            # or none, so an active freeze is exactly one whose `lifted_at` is null.
            models.CheckConstraint(
                condition=(
                    Q(lifted_at__isnull=True)
                    & Q(lifted_by__isnull=True)
                    & Q(lift_document__isnull=True)
                    & Q(lift_reason="")
                )
                | (
                    Q(lifted_at__isnull=False)
                    & Q(lifted_by__isnull=False)
                    & Q(lift_document__isnull=False)
                    & ~Q(lift_reason="")
                ),
                name="freeze_lifted_completely_or_not_at_all",
            ),
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["account"], condition=Q(lifted_at__isnull=True), name="freeze_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.set_at:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None
