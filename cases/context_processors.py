"""What the page frame (templates/base.html) shows on every page: the reader's large-text
choice and, for a signed-in person, how many messages are unread."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.otp import otp_required, otp_satisfied
from accounts.preferences import large_text
from cases.models import Notification


def _unread(request: HttpRequest) -> int:
    user = request.user
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(
        recipient=user, channel=Notification.Channel.INBOX, read_at__isnull=True
    ).count()


def page_frame(request: HttpRequest) -> dict[str, object]:
    """The frame's values; `unread_count` is lazy, counted only when a page shows it."""
    return {
        "large_text": large_text(request),
        # Signed in with the password but not yet with the second factor: no staff menus.
        "otp_pending": otp_required(request.user) and not otp_satisfied(request.user),
        "unread_count": SimpleLazyObject(lambda: _unread(request)),
    }
