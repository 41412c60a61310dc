"""Sign-ins, failed sign-ins, lockouts and sign-outs become audit rows."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from audit.models import AuditAction
from audit.services import audit_record


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(action=AuditAction.LOGIN, user=user, request=request)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Only the name that was typed: Django has already blanked the password, and nothing
    # else from the credentials belongs in the log.
    typed = str(credentials.get("username", ""))
    audit_record(action=AuditAction.LOGIN_FAILED, request=request, username=typed)


def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(action=AuditAction.LOGOUT, user=user, request=request)


def on_locked_out(
    sender: Any,
    request: HttpRequest | None,
    username: str | None,
    ip_address: str | None,
    **kw: Any,
) -> None:
    # axes passes its lockout key, which for an ID number is already masked.
    audit_record(action=AuditAction.LOCKOUT, request=request, username=username or "")


def connect_receivers() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="audit.logged_in")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit.login_failed")
    user_logged_out.connect(on_logged_out, dispatch_uid="audit.logged_out")
    user_locked_out.connect(on_locked_out, dispatch_uid="audit.locked_out")
