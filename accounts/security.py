"""Security rules (等保 level 3, PIPL): password strength, the login lockout keys, the TOTP
second factor for staff, separation of duties, and masking ID and bank card numbers.

The logging configuration imports this module before the app registry is ready (the filter
below), so models are imported inside the functions that need them, never at module level.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

# ---------------------------------------------------------------------------------------------
# Masking: ID numbers and bank card numbers never reach a log line or an audit row in full.

# 17 digits and a digit or X, not part of a longer run of digits (that would be a card number).
_ID_NUMBER = re.compile(r"(?<!\d)(\d{3})\d{13}(\d[\dXx])(?![\dXx])")
# 13 to 19 digits: UnionPay debit and credit card numbers.
_CARD_NUMBER = re.compile(r"(?<!\d)\d{9,15}(\d{4})(?!\d)")


def mask_sensitive(text: str) -> str:
    """Mask what looks like a resident ID number (as `mask_id_number` does) or a card number
    (all but the last four digits)."""
    text = _ID_NUMBER.sub(lambda m: f"{m[1]}{'*' * 13}{m[2]}", text)
    return _CARD_NUMBER.sub(lambda m: f"{'*' * (len(m[0]) - 4)}{m[1]}", text)


class MaskIdNumbersFilter(logging.Filter):
    """Attached to every logging handler: the record is rendered, masked and frozen, so that
    neither the message nor its arguments nor a traceback prints an ID or card number."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed call must still not leak its arguments
            message = f"{record.msg} {record.args}"
        masked = mask_sensitive(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # The formatter reuses exc_text when it is set, so the masked text is what prints.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_sensitive(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_sensitive(record.stack_info)
        return True


# ---------------------------------------------------------------------------------------------
# Passwords


class CharacterClassesValidator:
    """At least `min_length` characters from at least `min_classes` of: lower-case letters,
    upper-case letters, digits, symbols (anything else, Chinese characters included)."""

    def __init__(self, min_length: int = 8, min_classes: int = 3) -> None:
        self.min_length = min_length
        self.min_classes = min_classes

    def validate(self, password: str, user: object = None) -> None:
        classes = [
            any("a" <= c <= "z" for c in password),
            any("A" <= c <= "Z" for c in password),
            any("0" <= c <= "9" for c in password),
            any(not ("a" <= c <= "z" or "A" <= c <= "Z" or "0" <= c <= "9") for c in password),
        ]
        if len(password) < self.min_length or sum(classes) < self.min_classes:
            raise ValidationError(self._message(), code="password_too_simple")

    def get_help_text(self) -> str:
        return str(self._message())

    def _message(self) -> str:
        return gettext(
            "Use at least %(min_length)d characters, with at least %(min_classes)d of these four "
            "kinds: lower-case letters, upper-case letters, digits, symbols."
        ) % {"min_length": self.min_length, "min_classes": self.min_classes}


# ---------------------------------------------------------------------------------------------
# Login lockout (django-axes): which client, which sign-in name, what the locked-out person sees.


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT reverse proxies that
    each append to X-Forwarded-For, the entry the outermost trusted proxy appended. Entries
    further left are whatever the client sent and are never trusted."""
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if count:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= count and _is_ip(hops[-count]):
            return hops[-count]
    remote = str(request.META.get("REMOTE_ADDR") or "")
    return remote if _is_ip(remote) else None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def login_identifier_key(typed: str | None) -> str | None:
    """What the lockout counts against: the sign-in name as typed (mobile, ID number or
    username), normalised so that "11010519491231002x" and "110105 19491231 002X" are one key.
    An ID number is kept as its masked form plus a keyed hash: the lockout table never holds
    a full ID number, yet two people never share a key."""
    from accounts.idnumbers import normalize_id_number

    if typed is None:
        return None
    value = typed.strip()
    id_number = normalize_id_number(value)
    if re.fullmatch(r"\d{17}[\dX]", id_number):
        digest = hmac.new(settings.SECRET_KEY.encode(), id_number.encode(), hashlib.sha256)
        return f"id:{mask_sensitive(id_number)}:{digest.hexdigest()[:12]}"
    return value[:255]


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE. The login form's typed name comes first: after a successful
    login axes passes the account's username instead, and the reset must hit the same key
    that the failures were counted under."""
    typed = None
    if request is not None and request.method == "POST":
        typed = request.POST.get("username")
    if typed is None and credentials:
        typed = credentials.get("username")
    return login_identifier_key(typed)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a page in the user's language saying how long to wait."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 0
    return render(
        request,
        "accounts/lockout.html",
        {"minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


# ---------------------------------------------------------------------------------------------
# Second factor (TOTP) for staff

# Pages an unverified staff member may still open: the second-factor pages themselves,
# logging out and switching the language.
OTP_EXEMPT_VIEWS = frozenset(
    {"accounts:otp_setup", "accounts:otp_verify", "accounts:logout", "admin:logout", "set_language"}
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
    from django_otp.plugins.otp_totp.models import TOTPDevice

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
    from django_otp.plugins.otp_totp.models import TOTPDevice

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
    import segno

    svg: str = segno.make(device.config_url, error="m").svg_inline(scale=4, title="TOTP")
    return svg


def otp_confirm(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Confirm an enrolment with the first code from the app; the session is verified."""
    from django_otp import login as otp_login

    from audit.models import AuditAction
    from audit.services import audit_record

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
    from django.db import transaction
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from audit.models import AuditAction
    from audit.services import audit_record

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


# ---------------------------------------------------------------------------------------------
# The admin: the same second-factor rule, and every change written to the audit log.


class AuditedModelAdmin(ModelAdmin[Any]):
    """Mixed into every ModelAdmin the site registers: each admin log entry (bulk deletions
    included, which skip post_save) also becomes an audit row with the address and browser."""

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        return _audit_admin(request, super().log_addition(request, obj, message))

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        return _audit_admin(request, super().log_change(request, obj, message))

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        return _audit_admin(request, super().log_deletions(request, queryset))


def _audit_admin(request: HttpRequest, entries: Any) -> Any:
    from django.contrib.admin.models import ADDITION, CHANGE
    from django.contrib.contenttypes.models import ContentType

    from audit.models import AuditAction
    from audit.services import audit_record

    actions = {ADDITION: AuditAction.ADMIN_ADD, CHANGE: AuditAction.ADMIN_CHANGE}
    for entry in entries if isinstance(entries, list) else [entries]:
        # From the content-type cache: a bulk delete logs one entry per row.
        content_type = ContentType.objects.get_for_id(entry.content_type_id)
        audit_record(
            action=actions.get(entry.action_flag, AuditAction.ADMIN_DELETE),
            user=request.user,
            request=request,
            object_repr=f"{content_type}: {entry.object_repr}",
            detail=entry.get_change_message(),
        )
    return entries


class PortalAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and otp_satisfied(request.user)

    def register(
        self,
        model_or_iterable: Any,
        admin_class: type[ModelAdmin[Any]] | None = None,
        **options: Any,
    ) -> None:
        base = admin_class or ModelAdmin
        audited = type(base.__name__, (AuditedModelAdmin, base), {"__module__": base.__module__})
        super().register(model_or_iterable, audited, **options)


class PortalAdminConfig(AdminConfig):
    """Replaces django.contrib.admin in INSTALLED_APPS so that `admin.site` is the site above."""

    default_site = "accounts.security.PortalAdminSite"


# ---------------------------------------------------------------------------------------------
# Separation of duties (三员分立): system administrator, auditor and security administrator are
# three different people, and none of them decides a case.

EXCLUSIVE_ROLES = ("sysadmin", "auditor", "secadmin")
CASE_DECISION_PERMISSIONS = ("cases.process_case", "cases.review_case", "cases.sign_off_case")


def duty_conflicts(*, roles: Iterable[str], permissions: Iterable[str]) -> list[str]:
    from accounts.roles import Role

    held = sorted(set(EXCLUSIVE_ROLES) & set(roles))
    labels = [str(Role(name).label) for name in held]
    problems = []
    if len(held) > 1:
        problems.append(
            gettext(
                "The system administrator, auditor and security administrator roles must be "
                "held by different people; this user would hold: %(roles)s."
            )
            % {"roles": ", ".join(labels)}
        )
    deciding = sorted(set(CASE_DECISION_PERMISSIONS) & set(permissions))
    if held and deciding:
        problems.append(
            gettext("The %(role)s role decides no case, so it cannot come with %(permissions)s.")
            % {"role": labels[0], "permissions": ", ".join(deciding)}
        )
    return problems


def _names(permissions: Iterable[Permission]) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions}


def check_separation_of_duties(
    *, groups: Iterable[Group], permissions: Iterable[Permission]
) -> None:
    """Raise ValidationError if a user with these groups and direct permissions would break
    the separation of duties."""
    from django.contrib.auth.models import Permission

    groups = list(groups)
    granted = _names(permissions) | _names(
        Permission.objects.filter(group__in=groups).select_related("content_type")
    )
    problems = duty_conflicts(roles=[g.name for g in groups], permissions=granted)
    if problems:
        raise ValidationError(problems, code="separation_of_duties")


def _check_user(
    user: User, *, add_groups: Iterable[Group] = (), add_perms: Iterable[Any] = ()
) -> None:
    check_separation_of_duties(
        groups=[*user.groups.all(), *add_groups],
        permissions=[*user.user_permissions.select_related("content_type"), *add_perms],
    )


def on_user_groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: Any, **kw: Any
) -> None:
    """m2m_changed on User.groups: refuses the add before it is written, from either side."""
    if action != "pre_add" or not pk_set:
        return
    from django.contrib.auth.models import Group

    from accounts.models import User

    if not reverse:  # user.groups.add(group, ...)
        _check_user(instance, add_groups=Group.objects.filter(pk__in=pk_set))
        return
    for user in User.objects.filter(pk__in=pk_set):  # group.user_set.add(user, ...)
        _check_user(user, add_groups=[instance])


def on_user_permissions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: Any, **kw: Any
) -> None:
    """m2m_changed on User.user_permissions: a direct permission counts like a role's."""
    if action != "pre_add" or not pk_set:
        return
    from django.contrib.auth.models import Permission

    from accounts.models import User

    if not reverse:
        added = Permission.objects.filter(pk__in=pk_set).select_related("content_type")
        _check_user(instance, add_perms=added)
        return
    for user in User.objects.filter(pk__in=pk_set):
        _check_user(user, add_perms=[instance])


def on_group_permissions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: Any, **kw: Any
) -> None:
    """m2m_changed on Group.permissions: a group gaining a deciding permission must not give
    it to a member who holds an administrator role."""
    if action != "pre_add" or not pk_set or reverse:
        return
    from django.contrib.auth.models import Permission

    check_group_permissions(
        instance, Permission.objects.filter(pk__in=pk_set).select_related("content_type")
    )


def check_group_permissions(group: Group, permissions: Iterable[Permission]) -> None:
    """Raise ValidationError if the group gaining these permissions would give a deciding
    permission to an administrator role, or to a member who holds one."""
    added = list(permissions)
    if not set(CASE_DECISION_PERMISSIONS) & _names(added):
        return
    if group.name in EXCLUSIVE_ROLES:
        raise ValidationError(duty_conflicts(roles=[group.name], permissions=_names(added)))
    if group.pk is None:
        return
    from accounts.models import User

    # Only a member holding an administrator role can conflict (two filters: two joins).
    members = User.objects.filter(groups=group).filter(groups__name__in=EXCLUSIVE_ROLES)
    for user in members.distinct():
        _check_user(user, add_perms=added)


def connect_signals() -> None:
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed

    from accounts.models import User

    m2m_changed.connect(
        on_user_groups_changed, sender=User.groups.through, dispatch_uid="security.user_groups"
    )
    m2m_changed.connect(
        on_user_permissions_changed,
        sender=User.user_permissions.through,
        dispatch_uid="security.user_permissions",
    )
    m2m_changed.connect(
        on_group_permissions_changed,
        sender=Group.permissions.through,
        dispatch_uid="security.group_permissions",
    )
