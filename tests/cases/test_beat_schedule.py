from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

import cases.tasks
from cases.deadlines import deadline_start
from cases.models import DeadlineStep, Notification
from cases.notifications import notify
from config.celery_app import app

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_is_written_into_the_database_scheduler(monkeypatch):
    # Beat closes "old" connections between ticks; a test's open transaction looks old.
    monkeypatch.setattr("django_celery_beat.schedulers.close_old_connections", lambda: None)

    DatabaseScheduler(app=app)

    rows = {row.name: row for row in PeriodicTask.objects.select_related("interval")}

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert rows[name].task == entry["task"]
        assert rows[name].enabled
        assert rows[name].interval.schedule.run_every.total_seconds() == entry["schedule"]
        assert entry["task"] in app.tasks


def test_the_configured_scheduler_is_a_database_scheduler():
    from django.utils.module_loading import import_string

    scheduler = import_string(settings.CELERY_BEAT_SCHEDULER.replace(":", "."))

    assert issubclass(scheduler, DatabaseScheduler)


def test_the_scheduled_tasks_run_without_a_worker(case, supervisor, applicant):
    deadline_start(
        case=case, step=DeadlineStep.REVIEW, working_days=1, start=datetime.date(2026, 1, 5)
    )
    notify(recipient=applicant, message=("s", "b"), channels=("inbox",))

    swept = cases.tasks.sweep_deadlines()
    told = cases.tasks.fan_out_reminders()
    delivered = cases.tasks.deliver_pending_notifications()

    assert swept == {"examined": 1, "sent": 1}
    assert told == {"examined": 1, "sent": 1}
    assert delivered == 0  # fresh rows are the after-commit hand-off's, not the sweep's
    assert Notification.objects.filter(recipient=supervisor).count() == 2
