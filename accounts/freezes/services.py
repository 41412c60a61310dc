"""Setting and lifting a freeze (冻结, 解冻). An account is frozen while any of its freezes is
active: the first freeze sets the status, lifting the last one restores it. Both services lock
the account row first, so two freezes, or a freeze and a lift, on one account queue behind
each other and the status always matches the records."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.errors import AccountsError
from accounts.freezes.models import AccountFreeze, FreezeDocument, FreezeKind
from accounts.freezes.permissions import may_freeze
from accounts.freezes.selectors import active_freezes
from accounts.models import PersonalAccount, User
from audit.models import AuditAction
from audit.services import audit_record
from cases.documents import check_upload
from cases.errors import CaseError
from cases.notifications import notify_person


@transaction.atomic
def account_freeze(
    *, account: PersonalAccount, kind: str, reason: str, document: UploadedFile, by: User
) -> AccountFreeze:
    """Freeze the account on a supervisor's decision, a court's order (司法冻结) or a reported
    death. A second freeze over a first is recorded too: each is lifted on its own."""
    account = PersonalAccount.objects.select_for_update().get(pk=account.pk)
    _check_supervisor(by, account)
    if kind not in FreezeKind.values:
        raise AccountsError(_("Choose what kind of freeze this is."), code="bad_kind")
    if account.status == PersonalAccount.Status.CLOSED:
        raise AccountsError(_("A closed account cannot be frozen."), code="account_closed")
    reason = _required(reason)
    freeze = AccountFreeze.objects.create(
        account=account, kind=kind, reason=reason, document=_stored(document, by), set_by=by
    )
    if account.status != PersonalAccount.Status.FROZEN:
        account.status = PersonalAccount.Status.FROZEN
        account.save(update_fields=["status"])
    _audit(AuditAction.ACCOUNT_FREEZE, by, freeze, reason)
    _tell_holder(
        account,
        gettext_noop("Your personal account is frozen"),
        gettext_noop(
            "Your personal medical insurance account has been frozen (%(kind)s). While it is "
            "frozen it cannot pay, be withdrawn or be transferred. Ask your agency for details."
        ),
        freeze,
    )
    return freeze


@transaction.atomic
def account_unfreeze(
    *, freeze: AccountFreeze, reason: str, document: UploadedFile, by: User
) -> AccountFreeze:
    """Lift one freeze; the account is normal again once no other freeze is active."""
    account = PersonalAccount.objects.select_for_update().get(pk=freeze.account_id)
    _check_supervisor(by, account)
    freeze = AccountFreeze.objects.select_for_update().get(pk=freeze.pk)
    if not freeze.is_active:
        raise AccountsError(_("This freeze was already lifted."), code="already_lifted")
    reason = _required(reason)
    freeze.lift_document = _stored(document, by)
    freeze.lift_reason = reason
    freeze.lifted_by = by
    freeze.lifted_at = timezone.now()
    freeze.save(update_fields=["lift_document", "lift_reason", "lifted_by", "lifted_at"])
    still_frozen = active_freezes(account.pk).exists()
    if not still_frozen and account.status == PersonalAccount.Status.FROZEN:
        account.status = PersonalAccount.Status.NORMAL
        account.save(update_fields=["status"])
    _audit(AuditAction.ACCOUNT_UNFREEZE, by, freeze, reason)
    if not still_frozen:
        _tell_holder(
            account,
            gettext_noop("Your personal account is no longer frozen"),
            gettext_noop(
                "The freeze (%(kind)s) on your personal medical insurance account has been "
                "lifted; the account can be used again."
            ),
            freeze,
        )
    return freeze


def _check_supervisor(by: User, account: PersonalAccount) -> None:
    if not may_freeze(by, account):
        raise AccountsError(
            _("Only a supervisor of the agency that runs this account may freeze or unfreeze it."),
            code="forbidden",
        )


def _required(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise AccountsError(_("Give the reason."), code="reason_missing")
    return reason


def _stored(upload: UploadedFile, by: User) -> FreezeDocument:
    """The document checked by its content, as a case document is, and stored under a random
    name in the documents' private storage."""
    try:
        checked = check_upload(upload)
    except CaseError as exc:
        raise AccountsError(exc.message, code=exc.code) from None
    document = FreezeDocument(
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=checked.sha256,
        uploaded_by=by,
    )
    document.file.save("upload", ContentFile(checked.content), save=False)
    document.save()
    return document


def _audit(action: str, by: User, freeze: AccountFreeze, reason: str) -> None:
    audit_record(
        action=action,
        user=by,
        object_repr=f"personal account {freeze.account_id}",
        detail={"freeze": freeze.pk, "kind": freeze.kind, "reason": reason},
    )


def _tell_holder(account: PersonalAccount, subject: str, body: str, freeze: AccountFreeze) -> None:
    def words() -> tuple[str, str]:
        return _(subject), _(body) % {"kind": freeze.get_kind_display()}

    notify_person(person=account.person, message=words)
