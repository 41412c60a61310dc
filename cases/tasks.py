"""Celery tasks: thin wrappers taking ids and calling services that re-check under a lock.

The two tasks a service hands work to after commit are declared beside that service
(`cases.notifications.deliver_notification`, `cases.reminders.fan_out_reminders`): this
module imports the services, so a service importing it would close an import cycle. They
are imported here so that the worker, which imports each app's `tasks`, registers them."""

from __future__ import annotations

from celery import shared_task

from cases.documents import documents_sweep_orphans
from cases.figures import figures_refresh_all
from cases.notifications import deliver_notification, notifications_requeue
from cases.reminders import deadlines_sweep, fan_out_reminders

__all__ = [
    "deliver_notification",
    "deliver_pending_notifications",
    "fan_out_reminders",
    "refresh_figures",
    "sweep_deadlines",
    "sweep_orphan_documents",
]


@shared_task(name="cases.sweep_deadlines")
def sweep_deadlines() -> dict[str, int]:
    result = deadlines_sweep()
    return {"examined": result.examined, "sent": result.sent}


@shared_task(name="cases.deliver_pending_notifications")
def deliver_pending_notifications() -> int:
    return notifications_requeue()


@shared_task(name="cases.sweep_orphan_documents")
def sweep_orphan_documents() -> int:
    return documents_sweep_orphans()


@shared_task(name="cases.refresh_figures")
def refresh_figures() -> int:
    return figures_refresh_all()
