"""Receiving: verify the sender agency's seal and that the two agencies are the ones each end
says, keep the message once (a unique constraint on its id), apply it when the message it
depends on has been applied (else it waits, and is applied when that one comes), and answer
with what the sender can act on:

| answer | HTTP | the sender |
| --- | --- | --- |
| accepted | 200 | done |
| duplicate | 200 | done (it was kept before; nothing is applied twice) |
| waiting | 202 | done (kept here; applied when the message it depends on arrives) |
| refused | 403 (seal) / 422 | stops retrying; the exchange page shows the reason |

Everything about one case is serialised by a transaction-level advisory lock on its reference,
so that a message and the one it waits for, arriving together, cannot both wait."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency
from cases.errors import CaseError
from seals.peers import is_remote
from transfers.exchange.envelope import BadEnvelope, check_seal
from transfers.exchange.handlers import HANDLERS, Message
from transfers.exchange.models import InboundMessage

logger = logging.getLogger(__name__)
Status = InboundMessage.Status


@dataclass(frozen=True)
class Answer:
    status: str
    http_status: int
    reason: str = ""

    def as_json(self) -> dict[str, str]:
        return {"status": self.status, "reason": self.reason}


def inbox_receive(envelope: dict[str, Any]) -> Answer:
    try:
        check_seal(envelope)
        message = _message(envelope)
    except BadEnvelope as exc:
        _keep_refused(envelope, exc.message)
        return Answer("refused", 403 if exc.code.startswith("seal_") else 422, exc.message)
    with transaction.atomic():
        _lock_case(message.reference)
        try:
            with transaction.atomic():
                row = InboundMessage.objects.create(
                    message_id=message.id,
                    kind=message.kind,
                    reference=message.reference,
                    sender=message.sender.code,
                    depends_on=envelope.get("depends_on") or None,
                    envelope=envelope,
                    status=Status.WAITING,
                )
        except IntegrityError:
            return Answer("duplicate", 200)
        if row.depends_on is not None and not _applied(row.depends_on):
            return Answer("waiting", 202, _("Waiting for message %(id)s.") % {"id": row.depends_on})
        return _apply(row, message)


def _message(envelope: dict[str, Any]) -> Message:
    sender = Agency.objects.filter(code=str(envelope["sender"])).first()
    recipient = Agency.objects.filter(code=str(envelope["recipient"])).first()
    if sender is None or not is_remote(sender.pk):
        raise BadEnvelope(_("The sender is not an agency of a registered peer."), code="sender")
    if recipient is None or is_remote(recipient.pk):
        raise BadEnvelope(_("The recipient is not an agency of this system."), code="recipient")
    if str(envelope["kind"]) not in HANDLERS:
        raise BadEnvelope(_("Unknown kind of message."), code="kind")
    try:
        message_id = str(uuid.UUID(str(envelope["id"])))
    except ValueError as exc:
        raise BadEnvelope(_("The message id is not a UUID."), code="malformed") from exc
    body = envelope["body"]
    if not isinstance(body, dict):
        raise BadEnvelope(_("The body is not an object."), code="malformed")
    return Message(
        id=message_id,
        kind=str(envelope["kind"]),
        reference=str(envelope["reference"]),
        sender=sender,
        recipient=recipient,
        body=body,
    )


def _lock_case(reference: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"exchange:{reference}"])


def _applied(message_id: uuid.UUID | str) -> bool:
    return InboundMessage.objects.filter(message_id=message_id, status=Status.APPLIED).exists()


def _apply(row: InboundMessage, message: Message) -> Answer:
    """Apply one kept message, then every message that was waiting for it."""
    try:
        with transaction.atomic():
            HANDLERS[message.kind](message)
    except (CaseError, KeyError, ValueError, TypeError) as exc:
        reason = exc.message if isinstance(exc, CaseError) else f"malformed body: {exc!r}"
        row.status, row.reason = Status.REFUSED, reason[:2000]
        row.save(update_fields=["status", "reason"])
        logger.warning("exchange message %s refused: %s", row.message_id, reason)
        return Answer("refused", 422, reason)
    row.status, row.applied_at = Status.APPLIED, timezone.now()
    row.save(update_fields=["status", "applied_at"])
    for waiting in InboundMessage.objects.filter(status=Status.WAITING, depends_on=row.message_id):
        _apply(waiting, _message(waiting.envelope))
    return Answer("accepted", 200)


def _keep_refused(envelope: Any, reason: str) -> None:
    """A refused message is kept for the exchange page, whatever it held."""
    data = envelope if isinstance(envelope, dict) else {"raw": str(envelope)[:2000]}
    try:
        message_id = uuid.UUID(str(data.get("id")))
    except ValueError:
        message_id = uuid.UUID(int=0)
    InboundMessage.objects.create(
        message_id=message_id,
        kind=str(data.get("kind", ""))[:30],
        reference=str(data.get("reference", ""))[:40],
        sender=str(data.get("sender", ""))[:20],
        envelope=data,
        status=Status.REFUSED,
        reason=reason[:2000],
    )
