"""Text messages. The portal talks to an SMS gateway through one method, so that a real
gateway, the development console and the test inbox are interchangeable by setting."""

from __future__ import annotations

import logging
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsSender(Protocol):
    def send(self, *, mobile: str, text: str) -> None: ...


class ConsoleSmsSender:
    """Development: the message is printed where the developer is looking."""

    def send(self, *, mobile: str, text: str) -> None:
        print(f"[SMS to {mobile[:3]}****{mobile[-4:]}] {text}", flush=True)  # noqa: T201


class MemorySmsSender:
    """Tests: messages are kept in a class-level outbox that a test can read and clear."""

    outbox: ClassVar[list[tuple[str, str]]] = []

    def send(self, *, mobile: str, text: str) -> None:
        self.outbox.append((mobile, text))


def get_sms_sender() -> SmsSender:
    sender: SmsSender = import_string(settings.SMS_SENDER)()
    return sender
