from __future__ import annotations

import datetime
import uuid

import pytest
from django.conf import settings
from redbeat.schedulers import RedBeatScheduler, RedBeatSchedulerEntry, get_redis

import cases.tasks
from cases.deadlines import deadline_start
from cases.models import DeadlineStep, Notification
from cases.notifications import notify
from config.celery_app import app

pytestmark = pytest.mark.django_db


@pytest.fixture
def redbeat_prefix():
    """A key prefix of this test's own in the beat's Redis, removed afterwards."""
    prefix = f"test:redbeat:{uuid.uuid4().hex}"
    previous = app.conf.redbeat_key_prefix
    app.conf.redbeat_key_prefix = prefix
    _forget_redbeat()
    yield prefix
    client = get_redis(app)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    app.conf.redbeat_key_prefix = previous
    _forget_redbeat()


def _forget_redbeat():
    # redbeat keeps its configuration and client on the app, read once.
    for name in ("redbeat_conf", "redbeat_redis"):
        if hasattr(app, name):
            delattr(app, name)


def test_the_beat_schedule_is_written_into_redbeat(redbeat_prefix):
    RedBeatScheduler(app=app)

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        stored = RedBeatSchedulerEntry.from_key(RedBeatSchedulerEntry.generate_key(app, name), app)
        assert stored.task == entry["task"]
        assert stored.enabled
        assert stored.schedule.run_every.total_seconds() == entry["schedule"]
        assert entry["task"] in app.tasks


def test_the_configured_scheduler_is_redbeat():
    from django.utils.module_loading import import_string

    scheduler = import_string(settings.CELERY_BEAT_SCHEDULER)

    assert issubclass(scheduler, RedBeatScheduler)


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
