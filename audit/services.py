"""Writing to the audit log, and the only way rows ever leave it.

`audit_record` is the API other apps call for what the audit must show (a full ID number
revealed, a document downloaded):

    from audit.services import audit_record
    audit_record(action="reveal_id_number", user=request.user, request=request,
                 object_repr=f"case {case.pk}", detail="")
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.client import client_ip
from accounts.masking import mask_sensitive
from audit.models import AuditAction, AuditEvent

# PIPL and 等保 level 3 keep security logs at least six months. The trigger in
# migration 0002 refuses to delete younger rows whatever this constant says.
RETENTION_DAYS = 183

# Keys whose values never go into a row, whoever passes them.
_SECRET_KEYS = re.compile(r"passw|secret|token|^otp|^code$", re.IGNORECASE)


class AuditError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def audit_record(
    *,
    action: str,
    user: Any = None,
    request: HttpRequest | None = None,
    object_repr: str = "",
    detail: str | Mapping[str, Any] = "",
    username: str | None = None,
) -> AuditEvent:
    """Append one row. `user` may be anonymous or None (a failed login: pass what was typed as
    `username`). ID and card numbers in any text are masked; a mapping's secret-looking keys
    (password, secret, token, code) are dropped."""
    known = user if user is not None and getattr(user, "is_authenticated", False) else None
    name = username if username is not None else (known.get_username() if known else "")
    return AuditEvent.objects.create(
        action=action,
        user=known,
        username=mask_sensitive(name)[:150],
        ip_address=client_ip(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
        object_repr=mask_sensitive(str(object_repr))[:200],
        detail=mask_sensitive(_detail_text(detail)),
    )


def _detail_text(detail: str | Mapping[str, Any]) -> str:
    if isinstance(detail, Mapping):
        kept = {k: v for k, v in detail.items() if not _SECRET_KEYS.search(str(k))}
        return json.dumps(kept, ensure_ascii=False, sort_keys=True, default=str)
    return str(detail)


def retention_cutoff() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=RETENTION_DAYS)


@transaction.atomic
def audit_purge(*, before: datetime.datetime, by: Any = None) -> int:
    """Delete the rows older than `before`, which must itself be at least RETENTION_DAYS ago;
    the purge is recorded as a row of its own."""
    if before > retention_cutoff():
        raise AuditError(
            _("Audit records are kept at least %(days)d days; choose a date before %(date)s.")
            % {"days": RETENTION_DAYS, "date": f"{timezone.localdate(retention_cutoff()):%Y-%m-%d}"}
        )
    deleted, _by_model = AuditEvent.objects.filter(at__lt=before).delete()
    audit_record(
        action=AuditAction.AUDIT_PURGE,
        user=by,
        detail={"before": before.isoformat(), "deleted": deleted},
    )
    return deleted
