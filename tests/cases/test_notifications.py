from __future__ import annotations

import datetime
import time

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from cases.history import case_note_add
from cases.models import CaseEvent, Notification
from cases.notifications import (
    case_short_link,
    enqueue_delivery,
    notification_deliver,
    notifications_requeue,
    notify,
    notify_person,
)
from cases.sms import MemorySmsSender
from config.celery_app import app as celery_app
from tests.accounts.factories import InsuredPersonFactory
from tests.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db

MESSAGE = ("Your case moved", "Case 1 was accepted.")
DEAD_BROKER = "redis://127.0.0.1:1/0"


def _reset_broker_pools() -> None:
    # The app keeps a connection and producer pool per broker URL once it has published.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def dead_broker(monkeypatch):
    """Celery as in production (no eager mode) with nothing listening at the broker URL."""
    conf = celery_app.conf
    saved = conf.broker_url
    # Celery reads the broker URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", DEAD_BROKER)
    conf.broker_url, conf.task_always_eager = DEAD_BROKER, False
    _reset_broker_pools()
    assert celery_app.connection_for_write().port == 1
    yield
    monkeypatch.undo()
    conf.broker_url = saved
    _reset_broker_pools()


def _statuses() -> list[str]:
    return list(Notification.objects.order_by("id").values_list("status", flat=True))


def test_notify_writes_one_row_per_channel_the_recipient_can_get(applicant, case):
    rows = notify(recipient=applicant, message=MESSAGE, case=case)

    assert sorted(n.channel for n in rows) == ["email", "inbox", "sms"]
    assert {n.status for n in rows} == {"pending"}
    sms = next(n for n in rows if n.channel == "sms")
    assert sms.address == applicant.mobile
    assert Notification.objects.count() == 3


def test_notify_person_without_a_login_texts_the_phone_on_record(case):
    walk_in = InsuredPersonFactory(phone="13700001111")

    rows = notify_person(person=walk_in, message=MESSAGE, case=case)

    assert [(n.channel, n.address, n.recipient) for n in rows] == [("sms", "13700001111", None)]


def test_notify_person_with_a_login_reaches_the_login(applicant, person, case):
    rows = notify_person(person=person, message=MESSAGE, case=case)

    assert {n.recipient for n in rows} == {applicant}
    assert len(rows) == 3


def test_the_message_may_be_built_in_the_recipients_language(applicant):
    from django.utils.translation import get_language

    rows = notify(
        recipient=applicant, message=lambda: (get_language(), "body"), channels=("inbox",)
    )

    assert rows[0].subject == "zh-hans"


def test_notifications_roll_back_with_the_change_that_caused_them(
    applicant, case, clerk, django_capture_on_commit_callbacks
):
    def note_and_tell_then_fail() -> None:
        with transaction.atomic():
            case_note_add(case=case, by=clerk, text="asked for the bank card")
            notify(recipient=applicant, message=MESSAGE, case=case)
            raise RuntimeError

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        note_and_tell_then_fail()

    assert callbacks == []
    assert not Notification.objects.exists()
    assert not CaseEvent.objects.filter(action="note").exists()
    assert MemorySmsSender.outbox == []


def test_after_commit_each_row_is_delivered_by_its_channel(
    applicant, case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(recipient=applicant, message=MESSAGE, case=case)

    assert _statuses() == ["sent", "sent", "sent"]
    text = f"Your case moved: [{case.reference}] Case 1 was accepted. {case_short_link(case)}"
    assert MemorySmsSender.outbox == [(applicant.mobile, text)]
    assert [(m.subject, m.to) for m in mail.outbox] == [("Your case moved", [applicant.email])]


def test_delivering_marks_the_row_sent_once(applicant):
    sms = notify(recipient=applicant, message=MESSAGE, channels=("sms",))[0]

    first = notification_deliver(notification_id=sms.pk)
    second = notification_deliver(notification_id=sms.pk)

    sms.refresh_from_db()
    assert (first, second) == (True, False)
    assert sms.status == "sent"
    assert sms.sent_at is not None
    assert sms.attempts == 1
    assert len(MemorySmsSender.outbox) == 1


def test_an_e_mail_is_sent_through_django_mail(applicant):
    email = notify(recipient=applicant, message=MESSAGE, channels=("email",))[0]

    notification_deliver(notification_id=email.pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].body == "Case 1 was accepted."


def test_a_failing_gateway_leaves_the_row_pending_then_gives_up(applicant, monkeypatch):
    def refuse(self, *, mobile, text, idempotency_key):
        raise ConnectionError("gateway down")

    monkeypatch.setattr(MemorySmsSender, "send", refuse)
    sms = notify(recipient=applicant, message=MESSAGE, channels=("sms",))[0]

    results = [notification_deliver(notification_id=sms.pk) for _ in range(5)]

    sms.refresh_from_db()
    assert results == [False] * 5
    assert sms.status == "failed"
    assert sms.attempts == 5
    assert sms.last_error == "gateway down"


def test_a_row_stuck_in_sending_is_delivered_again_by_the_sweep(applicant):
    sms = notify(recipient=applicant, message=MESSAGE, channels=("sms",))[0]
    stuck_since = timezone.now() - datetime.timedelta(minutes=11)
    Notification.objects.filter(pk=sms.pk).update(status="sending", claimed_at=stuck_since)

    notifications_requeue(older_than_seconds=0)

    sms.refresh_from_db()
    assert sms.status == "sent"
    assert len(MemorySmsSender.outbox) == 1


def test_the_sweep_leaves_fresh_rows_to_the_worker(applicant):
    notify(recipient=applicant, message=MESSAGE, channels=("sms",))

    assert notifications_requeue(older_than_seconds=60) == 0

    assert _statuses() == ["pending"]


def test_with_the_broker_down_the_hand_off_gives_up_within_a_second(
    dead_broker, applicant, django_capture_on_commit_callbacks
):
    rows = notify(recipient=applicant, message=MESSAGE)

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True) as handed_off:
        enqueue_delivery([n.pk for n in rows])
    took = time.monotonic() - started

    assert len(handed_off) == 3
    assert took < 1.0
    assert _statuses() == ["pending"] * 3


def test_a_hand_off_the_broker_refuses_is_logged_and_leaves_the_rows_to_the_sweep(
    dead_broker, applicant, caplog, django_capture_on_commit_callbacks
):
    rows = notify(recipient=applicant, message=MESSAGE, channels=("inbox",))

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_delivery([rows[0].pk])

    assert "broker unavailable" in caplog.text
    assert _statuses() == ["pending"]
    assert notifications_requeue(older_than_seconds=0) == 1
    assert _statuses() == ["sent"]


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_change_commits_and_the_sweep_delivers_once(
    dead_broker, person, agency, clerk
):
    from tests.cases.factories import applicant_for

    applicant = applicant_for(person)
    case = CaseFactory(person=person, agency=agency)

    started = time.monotonic()
    with transaction.atomic():
        case_note_add(case=case, by=clerk, text="asked for the bank card")
        notify(recipient=applicant, message=MESSAGE, case=case)
    took = time.monotonic() - started

    assert took < 2.0
    assert case.events.filter(action="note").exists()
    assert _statuses() == ["pending"] * 3
    assert notifications_requeue(older_than_seconds=0) == 3
    assert notifications_requeue(older_than_seconds=0) == 0
    assert _statuses() == ["sent"] * 3
    assert len(MemorySmsSender.outbox) == 1
    assert len(mail.outbox) == 1


def test_with_the_broker_up_one_task_message_is_published_per_row(
    applicant, settings, django_capture_on_commit_callbacks
):
    import redis

    from config.env import redis_url

    conf = celery_app.conf
    conf.task_always_eager = False
    _reset_broker_pools()
    queue = redis.Redis.from_url(redis_url(settings.CELERY_BROKER_URL))
    before = queue.llen("celery")
    rows = notify(recipient=applicant, message=MESSAGE)

    try:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_delivery([n.pk for n in rows])
        published = queue.llen("celery") - before
    finally:
        # Take back what this test queued: no worker listens on the test broker.
        queue.lpop("celery", queue.llen("celery") - before)

    assert published == 3
    assert _statuses() == ["pending"] * 3


def test_a_row_sent_by_a_worker_killed_before_marking_it_is_not_texted_twice(applicant):
    sms = notify(recipient=applicant, message=MESSAGE, channels=("sms",))[0]
    notification_deliver(notification_id=sms.pk)
    # The worker died after the gateway took the message: the row is back to pending.
    Notification.objects.filter(pk=sms.pk).update(status="pending", sent_at=None)

    again = notification_deliver(notification_id=sms.pk)

    assert again is True
    assert MemorySmsSender.outbox == [(applicant.mobile, "Your case moved: Case 1 was accepted.")]
    assert MemorySmsSender.keys == {f"notification:{sms.pk}"}


def test_two_rows_with_the_same_text_are_two_messages(applicant):
    first, second = (
        notify(recipient=applicant, message=MESSAGE, channels=("sms",))[0] for _ in "ab"
    )

    notification_deliver(notification_id=first.pk)
    notification_deliver(notification_id=second.pk)

    assert len(MemorySmsSender.outbox) == 2
