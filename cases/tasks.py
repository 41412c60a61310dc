"""Celery tasks: thin wrappers taking ids and calling services that re-check under a lock."""

from __future__ import annotations

from celery import shared_task

from cases import services


@shared_task(name="cases.sweep_deadlines")
def sweep_deadlines() -> dict[str, int]:
    result = services.deadlines_sweep()
    return {"examined": result.examined, "sent": result.sent}


@shared_task(name="cases.fan_out_reminders")
def fan_out_reminders() -> dict[str, int]:
    result = services.reminders_fan_out()
    return {"examined": result.examined, "sent": result.sent}


@shared_task(name="cases.deliver_notification")
def deliver_notification(notification_id: int) -> bool:
    return services.notification_deliver(notification_id=notification_id)


@shared_task(name="cases.deliver_pending_notifications")
def deliver_pending_notifications() -> int:
    return services.notifications_requeue()
