"""The security audit log: append-only (a database trigger refuses UPDATE, and DELETE of rows
younger than the retention period), written through `audit.services.audit_record`."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """The actions this app writes. Other apps may pass their own action names; these are the
    ones with a label."""

    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKOUT = "lockout", _("Locked out after failed logins")
    LOGOUT = "logout", _("Logged out")
    OTP_ENROLLED = "otp_enrolled", _("Enrolled an authenticator")
    OTP_VERIFIED = "otp_verified", _("Verified with an authenticator code")
    OTP_FAILED = "otp_failed", _("Wrong authenticator code")
    ADMIN_ADD = "admin_add", _("Added in the administration site")
    ADMIN_CHANGE = "admin_change", _("Changed in the administration site")
    ADMIN_DELETE = "admin_delete", _("Deleted in the administration site")
    REVEAL_ID_NUMBER = "reveal_id_number", _("Revealed a full ID number")
    REVEAL_CARD_NUMBER = "reveal_card_number", _("Revealed a full bank card number")
    DOCUMENT_DOWNLOAD = "document_download", _("Downloaded a document")
    AUDIT_PURGE = "audit_purge", _("Purged old audit records")
    ACCOUNT_FREEZE = "account_freeze", _("Froze a personal account")
    ACCOUNT_UNFREEZE = "account_unfreeze", _("Lifted a freeze of a personal account")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices)
    # No database constraint and no cascade: deleting a user must neither fail on nor touch
    # the audit rows; the username below keeps who it was.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(_("sign-in name"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering: ClassVar = ["-at", "-id"]
        # Read-only for everybody: there is nothing to grant but viewing.
        default_permissions: ClassVar = ("view",)
        indexes: ClassVar = [
            models.Index(fields=["user", "-at"], name="audit_user_at_idx"),
            models.Index(fields=["action", "-at"], name="audit_action_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.get_action_display()}"
