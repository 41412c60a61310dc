"""What the page frame (templates/base.html) shows on every page: the reader's large-text
choice and, for a signed-in person, how many messages are unread."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.otp import otp_required, otp_satisfied
from accounts.preferences import large_text
from cases.models import Notification
from cases.people import staff_name


def _unread(request: HttpRequest) -> int:
    user = request.user
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(
        recipient=user, channel=Notification.Channel.INBOX, read_at__isnull=True
    ).count()


def _display_name(request: HttpRequest) -> str:
    """The signed-in person as the header names them: the insured person's name, or a member
    of staff's name in their own order (王芳, not "芳 王")."""
    user = request.user
    if not user.is_authenticated:
        return ""
    person = user.person if user.person_id is not None else None
    if person is not None:
        return str(person.name)
    return staff_name(user)


def page_frame(request: HttpRequest) -> dict[str, object]:
    """The frame's values; `unread_count` is lazy, counted only when a page shows it."""
    return {
        "large_text": large_text(request),
        # Signed in with the password but not yet with the second factor: no staff menus.
        "otp_pending": otp_required(request.user) and not otp_satisfied(request.user),
        "unread_count": SimpleLazyObject(lambda: _unread(request)),
        "display_name": SimpleLazyObject(lambda: _display_name(request)),
    }
