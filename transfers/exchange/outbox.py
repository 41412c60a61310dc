"""Sending: a message is an outbox row written in the transaction of the step that causes it,
sealed then, and delivered after commit by Celery; a beat sweep re-queues the rows that are
due again (rows, never long ETA tasks). The peer's answer decides what happens next:
accepted, duplicate or waiting → delivered; refused → failed, shown on the exchange page and
not retried by itself; no answer or a server error → retried with a growing pause."""

from __future__ import annotations

import datetime
import json
import logging
import urllib.error
import urllib.request
import uuid
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, User
from audit.services import audit_record
from cases.errors import CaseError
from cases.handoff import HandOffTask
from cases.models import Case
from seals.models import Peer
from seals.peers import peer_of
from transfers.exchange.envelope import sealed
from transfers.exchange.models import InboundMessage, OutboundMessage

logger = logging.getLogger(__name__)
Status = OutboundMessage.Status


def remote_end(case: Case) -> tuple[Peer, Agency, Agency] | None:
    """(peer, this end's agency, the other end's agency) when the case's other end is an
    agency of another deployment; None when both ends are here."""
    if case.other_agency is None:
        return None
    for local, other in ((case.agency, case.other_agency), (case.other_agency, case.agency)):
        peer = peer_of(other.pk)
        if peer is not None and peer_of(local.pk) is None:
            return peer, local, other
    return None


def announce(*, case: Case, kind: str, body: dict[str, Any]) -> OutboundMessage | None:
    """Write the message to the case's other end when that end is another deployment's (and
    nothing otherwise); it is delivered once the caller's transaction commits. Each message of
    a case depends on the one this end sent before it, so the peer applies them in order."""
    end = remote_end(case)
    if end is None:
        return None
    peer, sender, recipient = end
    previous = OutboundMessage.objects.filter(case=case).order_by("-sequence").first()
    message_id = uuid.uuid4()
    envelope = sealed(
        {
            "id": str(message_id),
            "kind": kind,
            "reference": case.reference,
            "sender": sender.code,
            "recipient": recipient.code,
            "depends_on": str(previous.id) if previous is not None else None,
            "sent_at": timezone.now().isoformat(),
            "body": body,
        },
        agency=sender,
    )
    row = OutboundMessage.objects.create(
        id=message_id,
        peer=peer,
        case=case,
        kind=kind,
        sequence=previous.sequence + 1 if previous is not None else 1,
        envelope=envelope,
    )
    deliver_message.delay_on_commit(str(row.id))
    return row


@shared_task(name="transfers.exchange_deliver", base=HandOffTask)
def deliver_message(message_id: str) -> str:
    return outbox_deliver(message_id=message_id)


@shared_task(name="transfers.exchange_requeue")
def requeue_messages() -> int:
    return outbox_requeue()


def _backoff(attempts: int) -> datetime.timedelta:
    base = settings.EXCHANGE_RETRY_SECONDS
    return datetime.timedelta(
        seconds=min(base * 2 ** max(attempts - 1, 0), settings.EXCHANGE_RETRY_CAP_SECONDS)
    )


def outbox_deliver(*, message_id: str) -> str:
    """Post one due row to its peer. Claimed with a conditional UPDATE that pushes its next
    attempt past the request's timeout, so two workers never post it at once; posted outside
    any transaction (the peer may be slow or down)."""
    now = timezone.now()
    lease = now + datetime.timedelta(seconds=settings.EXCHANGE_TIMEOUT_SECONDS * 2)
    claimed = OutboundMessage.objects.filter(
        pk=message_id, status=Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease, attempts=models.F("attempts") + 1)
    if not claimed:
        return "not_due"
    row = OutboundMessage.objects.select_related("peer").get(pk=message_id)
    code, answer = _post(row.peer.url, row.envelope)
    return _record(row, code, answer)


def _post(url: str, envelope: dict[str, Any]) -> tuple[int | None, str]:
    request = urllib.request.Request(  # noqa: S310 - the peer's registered http(s) address
        url,
        data=json.dumps(envelope, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.EXCHANGE_TIMEOUT_SECONDS
        ) as response:
            return response.status, response.read(4000).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(4000).decode(errors="replace")
    except (OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]


def _record(row: OutboundMessage, code: int | None, answer: str) -> str:
    now = timezone.now()
    fields: dict[str, Any] = {"last_status_code": code, "last_answer": answer[:4000]}
    if code is not None and 200 <= code < 300:
        fields.update(status=Status.DELIVERED, delivered_at=now)
    elif code is not None and 400 <= code < 500 and code not in (408, 429):
        # The peer read the message and refused it: sending it again would change nothing.
        fields.update(status=Status.FAILED)
    else:
        fields.update(next_attempt_at=now + _backoff(row.attempts))
    OutboundMessage.objects.filter(pk=row.pk, status=Status.PENDING).update(**fields)
    if fields.get("status") is None:
        logger.warning("exchange message %s not delivered (%s), retrying", row.pk, code)
    return str(fields.get("status", "retry"))


def outbox_requeue() -> int:
    """Hand every pending row that is due to a worker (the beat's sweep)."""
    due = list(
        OutboundMessage.objects.filter(
            status=Status.PENDING, next_attempt_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:500]
    )
    for pk in due:
        deliver_message.delay(str(pk))
    return len(due)


# --- by hand, from the exchange page -------------------------------------------------------


@transaction.atomic
def outbox_retry(*, message: OutboundMessage, by: User) -> OutboundMessage:
    """Send a refused or waiting message again now (the same sealed bytes)."""
    row = OutboundMessage.objects.select_for_update().get(pk=message.pk)
    if row.status not in (Status.PENDING, Status.FAILED):
        raise CaseError(_("Only a waiting or refused message can be sent again."), code="state")
    row.status, row.next_attempt_at = Status.PENDING, timezone.now()
    row.save(update_fields=["status", "next_attempt_at"])
    audit_record(action="exchange_retry", user=by, object_repr=str(row), detail=row.case.reference)
    deliver_message.delay_on_commit(str(row.pk))
    return row


@transaction.atomic
def outbox_close(*, message: OutboundMessage, by: User, reason: str) -> OutboundMessage:
    row = OutboundMessage.objects.select_for_update().get(pk=message.pk)
    _require_reason(reason)
    if row.status in (Status.DELIVERED, Status.CLOSED):
        raise CaseError(_("This message is no longer open."), code="state")
    row.status, row.closed_reason, row.closed_by = Status.CLOSED, reason.strip(), by
    row.save(update_fields=["status", "closed_reason", "closed_by"])
    audit_record(action="exchange_close", user=by, object_repr=str(row), detail=reason.strip())
    return row


@transaction.atomic
def inbox_close(*, message: InboundMessage, by: User, reason: str) -> InboundMessage:
    row = InboundMessage.objects.select_for_update().get(pk=message.pk)
    _require_reason(reason)
    if row.status != InboundMessage.Status.WAITING:
        raise CaseError(_("This message is no longer open."), code="state")
    row.status, row.closed_reason, row.closed_by = (
        InboundMessage.Status.CLOSED,
        reason.strip(),
        by,
    )
    row.save(update_fields=["status", "closed_reason", "closed_by"])
    audit_record(action="exchange_close", user=by, object_repr=str(row), detail=reason.strip())
    return row


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise CaseError(_("Say why the message is closed by hand."), code="empty_note")
