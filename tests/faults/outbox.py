"""Test-only senders for worker subprocesses: every SMS and e-mail a worker sends becomes one
line in the file named by FAULTS_OUTBOX, so that a test can count what went out, and how often."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


def _append(record: dict[str, str]) -> None:
    with open(os.environ["FAULTS_OUTBOX"], "a", encoding="utf-8") as out:
        fcntl.flock(out, fcntl.LOCK_EX)
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


class FileSmsSender:
    def send(self, *, mobile: str, text: str, idempotency_key: str) -> None:
        # Every call is recorded, repeated key or not: the fault tests count what reached the
        # gateway, and the key shows whether a repeat would have been dropped there.
        _append({"channel": "sms", "to": mobile, "text": text, "key": idempotency_key})


class FileEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        for message in email_messages:
            for to in message.to:
                _append(
                    {"channel": "email", "to": to, "text": f"{message.subject}: {message.body}"}
                )
        return len(email_messages)


def sent(path: str) -> list[dict[str, str]]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]
