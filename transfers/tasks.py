"""Celery tasks of transfers: the exchange's delivery and its beat sweep, declared beside the
outbox service that hands work to them (transfers.exchange.outbox) and imported here so that
the worker, which imports each app's `tasks`, registers them."""

from __future__ import annotations

from transfers.exchange.outbox import deliver_message, requeue_messages

__all__ = ["deliver_message", "requeue_messages"]
