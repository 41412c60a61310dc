"""The second factor (TOTP, django-otp) for staff: who needs it, the middleware that asks for
it, and enrolling and checking a code. The admin site's own gate is `accounts.admin_site`."""

from __future__ import annotations

import base64
from collections.abc import Callable
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from audit.models import AuditAction
from audit.services import audit_record

# Pages an unverified staff member may still open: the second-factor pages themselves,
# logging out, switching the language and the text size.
OTP_EXEMPT_VIEWS = frozenset(
    {
        "accounts:otp_setup",
        "accounts:otp_verify",
        "accounts:logout",
        "accounts:text_size",
        "admin:logout",
        "set_language",
    }
)


def otp_required(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Staff (an agency, the admin flag or superuser) need a second factor when
    STAFF_REQUIRE_OTP is on; applicants never do."""
    if not settings.STAFF_REQUIRE_OTP or not user.is_authenticated:
        return False
    return bool(
        getattr(user, "agency_id", None) is not None
        or getattr(user, "is_staff", False)
        or getattr(user, "is_superuser", False)
    )


def otp_satisfied(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not otp_required(user):
        return True
    is_verified: Callable[[], bool] | None = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def has_confirmed_device(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def otp_next_url(request: HttpRequest, view_name: str) -> str:
    url = reverse(view_name)
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return url


class StaffOtpMiddleware:
    """Sends a staff member who has signed in with a password but not yet with a code to the
    enrolment page (no device yet) or the code page, whatever they asked for."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: object, args: object, kwargs: object
    ) -> HttpResponse | None:
        user = request.user
        if otp_satisfied(user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OTP_EXEMPT_VIEWS:
            return None
        target = "accounts:otp_verify" if has_confirmed_device(user) else "accounts:otp_setup"  # type: ignore[arg-type]
        return redirect(otp_next_url(request, target))


def otp_pending_device(*, user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled: the same one on every visit, so a reload does
    not change the secret the person has already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=gettext("Authenticator"), confirmed=False
        )
    return device


def otp_secret_text(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app that cannot scan."""
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def otp_qr_svg(device: TOTPDevice) -> str:
    svg: str = segno.make(device.config_url, error="m").svg_inline(scale=4, title="TOTP")
    return svg


def otp_confirm(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Confirm an enrolment with the first code from the app; the session is verified."""
    if not device.verify_token(token):
        audit_record(
            action=AuditAction.OTP_FAILED, user=device.user, request=request, detail="enrolment"
        )
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    audit_record(
        action=AuditAction.OTP_ENROLLED, user=device.user, request=request, object_repr=str(device)
    )
    return True


def otp_verify(*, request: HttpRequest, user: User, token: str) -> bool:
    """Check a code against the user's confirmed devices (throttled and replay-proof by
    django-otp); a match marks the session verified."""
    with transaction.atomic():
        devices = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
        device = next((d for d in devices if d.verify_token(token)), None)
    if device is None:
        audit_record(action=AuditAction.OTP_FAILED, user=user, request=request)
        return False
    otp_login(request, device)
    audit_record(
        action=AuditAction.OTP_VERIFIED, user=user, request=request, object_repr=str(device)
    )
    return True
