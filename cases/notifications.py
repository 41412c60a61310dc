"""The notification outbox: rows written in the caller's transaction, handed to a worker
after commit, each claimed once and sent outside any transaction; what the hand-off missed
(broker down, worker killed) the periodic requeue delivers."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import models
from django.utils import timezone
from django.utils.translation import override

from accounts.models import User
from cases.handoff import HandOffTask
from cases.models import Case, Notification
from cases.sms import get_sms_sender

if TYPE_CHECKING:
    from accounts.models import InsuredPerson

logger = logging.getLogger(__name__)

ALL_CHANNELS = (Notification.Channel.INBOX, Notification.Channel.SMS, Notification.Channel.EMAIL)


def notify(
    *,
    recipient: User | None,
    message: tuple[str, str] | Any,
    case: Case | None = None,
    channels: Sequence[str] = ALL_CHANNELS,
    mobile: str = "",
) -> list[Notification]:
    """Write the outbox rows now, in the caller's transaction; deliver after commit.

    `message` is (subject, body) already in words, or a callable taking no argument that
    returns them, called with the portal's language active."""
    created = Notification.objects.bulk_create(
        notification_rows(
            recipient=recipient, message=message, case=case, channels=channels, mobile=mobile
        )
    )
    enqueue_delivery([n.pk for n in created])
    return created


def notification_rows(
    *,
    recipient: User | None,
    message: tuple[str, str] | Any,
    case: Case | None = None,
    channels: Sequence[str] = ALL_CHANNELS,
    mobile: str = "",
) -> list[Notification]:
    """The outbox rows `notify` writes, not saved: for a caller that writes many at once."""
    # Users keep no language of their own: messages are written in the portal's (Chinese).
    with override(settings.LANGUAGE_CODE):
        subject, body = message() if callable(message) else message
    rows = []
    for channel in channels:
        address = _address(recipient, channel, mobile)
        if channel != Notification.Channel.INBOX and not address:
            continue
        if channel == Notification.Channel.INBOX and recipient is None:
            continue
        text = str(body)
        if channel == Notification.Channel.SMS and case is not None:
            text = sms_text(str(subject), text, case)
        rows.append(
            Notification(
                recipient=recipient,
                address=address,
                channel=channel,
                case=case,
                subject=str(subject)[:200],
                body=text,
            )
        )
    return rows


def case_short_link(case: Case) -> str:
    """The case page, after sign-in, by a link short enough for a text message."""
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}/c/{case.pk}"


def sms_text(subject: str, body: str, case: Case) -> str:
    """A text message names its case and links to it: the person can look it up or open it."""
    if case.reference not in subject and case.reference not in body:
        body = f"[{case.reference}] {body}"
    return f"{body} {case_short_link(case)}"


def notify_person(
    *, person: InsuredPerson, message: tuple[str, str] | Any, case: Case | None = None
) -> list[Notification]:
    """Tell an insured person: their login's inbox, e-mail and SMS, or SMS to the phone on
    record when they have no login (window applicants)."""
    user = User.objects.filter(person=person, is_active=True).first()
    return notify(recipient=user, message=message, case=case, mobile=person.phone)


def _address(recipient: User | None, channel: str, mobile: str) -> str:
    if channel == Notification.Channel.SMS:
        return (recipient.mobile if recipient is not None else None) or mobile or ""
    if channel == Notification.Channel.EMAIL:
        return (recipient.email if recipient is not None else "") or ""
    return ""


def enqueue_delivery(ids: Sequence[int]) -> None:
    """Hand the rows to workers once the caller's transaction commits, one message each. With
    the broker down the rows stay pending and `notifications_requeue` delivers them."""
    for pk in ids:
        deliver_notification.delay_on_commit(pk)


@shared_task(name="cases.deliver_notification", base=HandOffTask)
def deliver_notification(notification_id: int) -> bool:
    return notification_deliver(notification_id=notification_id)


def notification_deliver(*, notification_id: int) -> bool:
    """Send one outbox row. Claimed with a conditional UPDATE so that two workers never both
    send it; sent outside any transaction (the gateway may be slow)."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING
    ).update(status=Notification.Status.SENDING, claimed_at=now, attempts=models.F("attempts") + 1)
    if not claimed:
        return False
    row = Notification.objects.get(pk=notification_id)
    try:
        _send(row)
    except Exception as exc:
        logger.warning("notification %s failed: %s", row.pk, type(exc).__name__)
        status = Notification.Status.FAILED if row.attempts >= 5 else Notification.Status.PENDING
        Notification.objects.filter(pk=row.pk).update(status=status, last_error=str(exc)[:300])
        return False
    Notification.objects.filter(pk=row.pk).update(
        status=Notification.Status.SENT, sent_at=timezone.now()
    )
    return True


def _send(row: Notification) -> None:
    if row.channel == Notification.Channel.SMS:
        get_sms_sender().send(
            mobile=row.address,
            text=f"{row.subject}: {row.body}",
            # The row's id: a row handed out again after a killed worker is not texted twice.
            idempotency_key=f"notification:{row.pk}",
        )
    elif row.channel == Notification.Channel.EMAIL:
        send_mail(row.subject, row.body, settings.DEFAULT_FROM_EMAIL, [row.address])
    # The inbox needs no sending: the row is what the inbox page shows.


def notifications_requeue(*, older_than_seconds: int = 60, limit: int = 1000) -> int:
    """Deliver what the after-commit hand-off missed (broker down, worker killed while
    sending): pending rows older than a minute, and rows stuck in "sending" for ten."""
    now = timezone.now()
    stale = Notification.objects.filter(
        status=Notification.Status.SENDING, claimed_at__lt=now - datetime.timedelta(minutes=10)
    )
    stale.update(status=Notification.Status.PENDING)
    ids = list(
        Notification.objects.filter(
            status=Notification.Status.PENDING,
            created_at__lt=now - datetime.timedelta(seconds=older_than_seconds),
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        notification_deliver(notification_id=pk)
    return len(ids)


def notification_mark_read(*, notification: Notification, by: User) -> None:
    if notification.recipient_id != by.pk or notification.read_at is not None:
        return
    notification.read_at = timezone.now()
    notification.save(update_fields=["read_at"])


def notifications_mark_all_read(*, by: User) -> int:
    """Every unread inbox message of this user, in one UPDATE; how many there were."""
    return Notification.objects.filter(
        recipient=by, channel=Notification.Channel.INBOX, read_at__isnull=True
    ).update(read_at=timezone.now())
