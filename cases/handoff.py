"""The Celery task class for work that already waits in rows a beat task sweeps too (the
notification outbox, the claimed reminders): its message only makes the work start sooner."""

from __future__ import annotations

import logging
from typing import Any

from celery.contrib.django.task import DjangoTask
from django.db import transaction

logger = logging.getLogger(__name__)


class HandOffTask(DjangoTask):  # type: ignore[type-arg]
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Celery's `delay_on_commit`, except that a broker it cannot reach is logged, not
        raised: the change has committed and the request succeeded, and the scheduled sweep
        delivers what this message would have started. How long publishing may take is the
        broker settings' timeouts and retry policy."""

        def hand_off() -> None:
            try:
                self.delay(*args, **kwargs)
            except Exception as exc:  # kombu raises several types for a broker it cannot reach
                logger.warning(
                    "broker unavailable (%s); %s left for the scheduled sweep",
                    type(exc).__name__,
                    self.name,
                )

        transaction.on_commit(hand_off)
