"""Text messages. The portal talks to an SMS gateway through one method, so that a real
gateway, the development console and the test inbox are interchangeable by setting.

Every message carries an idempotency key, stable for the message and unique to it (for an
outbox row, `notification:<id>`). A worker may be killed after the gateway accepted a
message and before the row was marked sent; the requeue then hands the row out again with
the same key. A real gateway adapter must pass the key to the gateway in the field it offers
for this (Alibaba Cloud's `OutId`, Tencent Cloud's `SessionContext`/`ExtendCode` checked by the
gateway, China Mobile's `msgId`...) and the gateway must accept a repeated key without sending
again, for at least as long as a row can wait before being requeued (ten minutes, see
`cases.notifications.notifications_requeue`; keep a day). A gateway that cannot do this must
be wrapped by an adapter that records the key in a shared store (the Redis cache, `add` with
a day's timeout) before calling it: a repeat is then dropped, at the price of a message lost
rather than doubled if the adapter dies between the record and the call."""

from __future__ import annotations

import logging
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsSender(Protocol):
    def send(self, *, mobile: str, text: str, idempotency_key: str) -> None:
        """Send once per key: a repeated key is accepted and not sent again."""
        ...


class ConsoleSmsSender:
    """Development: the message is printed where the developer is looking."""

    def send(self, *, mobile: str, text: str, idempotency_key: str) -> None:
        print(f"[SMS to {mobile[:3]}****{mobile[-4:]} #{idempotency_key}] {text}", flush=True)  # noqa: T201


class MemorySmsSender:
    """Tests: messages are kept in a class-level outbox that a test can read and clear; a
    repeated idempotency key is ignored, as a gateway must."""

    outbox: ClassVar[list[tuple[str, str]]] = []
    keys: ClassVar[set[str]] = set()

    @classmethod
    def clear(cls) -> None:
        cls.outbox.clear()
        cls.keys.clear()

    def send(self, *, mobile: str, text: str, idempotency_key: str) -> None:
        if idempotency_key in self.keys:
            return
        self.keys.add(idempotency_key)
        self.outbox.append((mobile, text))


def get_sms_sender() -> SmsSender:
    sender: SmsSender = import_string(settings.SMS_SENDER)()
    return sender
