"""Redis and Celery workers failing for real: a redis-server of the test's own is killed while
applicants submit, and a worker is SIGKILLed in the middle of the deadline sweep. Nothing may
be lost and nothing sent twice: every application saved, every notification delivered once,
every reminder recorded once per deadline and kind.

These start subprocesses (redis-server, Celery workers) and take several seconds each."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cases.models import (
    Case,
    CaseKind,
    Channel,
    Deadline,
    DeadlineReminder,
    DeadlineStep,
    Notification,
)
from cases.tasks import deliver_pending_notifications, sweep_deadlines
from cases.workflow import today
from tests.accounts.factories import InsuredPersonFactory, UserFactory, staff_user
from tests.faults.outbox import sent
from tests.scale.processes import wait_for
from tests.transfers.factories import mover, world
from tests.withdrawals.factories import account_in, png_bytes

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

APPLICANTS = 4


def _claim(client: Client, n: int):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("withdrawals:refund_apply"),
        {
            "hospital": f"东莞市第{n}人民医院",
            "treated_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
            "amount": "128.50",
            "receipts": SimpleUploadedFile("r.png", png_bytes(), content_type="image/png"),
        },
    )


def _transfer(client: Client, places):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = png_bytes()
    return client.post(
        reverse("transfers:apply"),
        {
            "origin_agency": places.dongguan.pk,
            "destination_agency": places.changde.pk,
            "transfer_type": "employee",
            "contact_phone": "13900000000",
            "id_card_front": SimpleUploadedFile("f.png", photo, content_type="image/png"),
            "id_card_back": SimpleUploadedFile("b.png", photo, content_type="image/png"),
        },
    )


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _as_if_a_minute_passed() -> None:
    """The requeue takes rows older than a minute (the hand-off may still be on its way);
    rather than wait, the outbox rows are made a few minutes older."""
    Notification.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))


def _requeue_through_the_broker() -> None:
    # What beat sends every minute, sent by hand through the (private) broker.
    deliver_pending_notifications.apply_async()


def _sent_once(outbox: str, rows: list[Notification]) -> None:
    lines = sent(outbox)
    counted = Counter((line["channel"], line["to"], line["text"]) for line in lines)
    doubled = [key for key, n in counted.items() if n > 1]
    assert not doubled, f"sent more than once: {doubled[:3]}"
    expected = {
        (row.channel, row.address, f"{row.subject}: {row.body}")
        for row in rows
        if row.channel != Notification.Channel.INBOX
    }
    assert set(counted) == expected


def test_applications_made_while_redis_is_down_are_saved_and_told_once_it_is_back(
    private_redis, workers
):
    places = world()
    people = []
    for n in range(APPLICANTS):
        account = account_in(places.dongguan)
        user = UserFactory(
            username=f"patient{n}",
            person=account.person,
            mobile=account.person.phone,
            email=f"patient{n}@example.com",
        )
        people.append(user)
    person = mover(places.dongguan, places.changde)
    moving = UserFactory(
        username="mover", person=person, mobile=person.phone, email="mover@example.com"
    )

    private_redis.stop()
    answers = [_claim(_signed_in(user), n) for n, user in enumerate(people)]
    answers.append(_transfer(_signed_in(moving), places))

    assert [a.status_code for a in answers] == [302] * (APPLICANTS + 1)
    cases = Case.objects.filter(applicant__in=[*people, moving])
    assert cases.count() == APPLICANTS + 1
    rows = list(Notification.objects.filter(case__in=cases))
    assert rows, "the applications told nobody"
    assert {row.status for row in rows} == {Notification.Status.PENDING}

    private_redis.start()
    workers.start()
    _as_if_a_minute_passed()
    _requeue_through_the_broker()

    wait_for(
        "every notification sent",
        lambda: (
            not Notification.objects.filter(case__in=cases)
            .exclude(status=Notification.Status.SENT)
            .exists()
        ),
        workers.stack,
        timeout=60,
    )
    _requeue_through_the_broker()  # a second sweep of the outbox finds nothing left to send
    wait_for("the second requeue", lambda: "succeeded" in workers.stack.describe(), workers.stack)
    rows = list(Notification.objects.filter(case__in=cases))
    assert {row.attempts for row in rows} == {1}
    _sent_once(workers.outbox, rows)


# --- a worker killed in the middle of the sweep ------------------------------------------------

DEADLINES = 1_000  # two batches of the sweep's 500: the kill lands in the second
SLOW_REMINDERS = """
CREATE OR REPLACE FUNCTION faults_slow_reminder() RETURNS trigger AS $$
BEGIN PERFORM pg_sleep(0.002); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER faults_slow_reminder AFTER INSERT ON cases_deadlinereminder
FOR EACH ROW EXECUTE FUNCTION faults_slow_reminder();
"""
FAST_AGAIN = """
DROP TRIGGER IF EXISTS faults_slow_reminder ON cases_deadlinereminder;
DROP FUNCTION IF EXISTS faults_slow_reminder();
"""


@pytest.fixture
def slow_reminders():
    """Each reminder row takes 2 ms to write (a trigger), so that the sweep of the overdue
    deadlines lasts seconds and can be killed in the middle of a batch."""
    with connection.cursor() as cursor:
        cursor.execute(SLOW_REMINDERS)
    yield
    with connection.cursor() as cursor:
        cursor.execute(FAST_AGAIN)


def _overdue_deadlines(agency, n: int) -> list[int]:
    """n withdrawal cases whose review deadline passed weeks ago: reminder, due-day notice and
    escalation are all due; written in bulk (the sweep is under test, not the intake)."""
    person = InsuredPersonFactory()
    stamp = timezone.localdate().strftime("%Y%m%d")
    cases = Case.objects.bulk_create(
        Case(
            reference=f"TQ{stamp}{i:08d}",
            kind=CaseKind.WITHDRAWAL,
            person=person,
            agency=agency,
            channel=Channel.WINDOW,
            state="submitted",
        )
        for i in range(n)
    )
    started = today() - datetime.timedelta(days=40)
    Deadline.objects.bulk_create(
        Deadline(
            case=case,
            step=DeadlineStep.REVIEW,
            working_days=5,
            started_on=started,
            due_on=started + datetime.timedelta(days=7),
            next_sweep_on=started,
        )
        for case in cases
    )
    return [case.pk for case in cases]


def test_a_worker_killed_in_the_middle_of_the_sweep_loses_and_doubles_no_reminder(
    private_redis, workers, slow_reminders
):
    places = world()
    supervisor = staff_user("supervisor", places.dongguan)
    supervisor.email = "supervisor@agency.example"
    supervisor.save(update_fields=["email"])
    case_ids = _overdue_deadlines(places.dongguan, DEADLINES)
    reminders = DeadlineReminder.objects.filter(deadline__case_id__in=case_ids)

    first = workers.start()
    sweep_deadlines.apply_async()
    # The first batch committed, the second one under way: kill.
    wait_for("part of the sweep", lambda: reminders.count() >= 3 * 500, workers.stack, 60)
    first.kill()
    done_when_killed = reminders.count()
    # The killed worker's backend runs its statement to the end, holding the batch's rows
    # until then; a sweep meanwhile rightly skips them (the next tick takes them). Here the
    # next sweep is sent once that backend has gone, rather than a tick later.
    wait_for(
        "the killed worker's backend to end",
        lambda: workers.backends(first) == 0,
        workers.stack,
        60,
    )
    second = workers.start(processes=2)
    sweep_deadlines.apply_async()  # beat sends one every few minutes; here at once
    wait_for("the whole sweep", lambda: reminders.count() == 3 * DEADLINES, workers.stack, 120)
    _as_if_a_minute_passed()
    _requeue_through_the_broker()
    escalations = Notification.objects.filter(case_id__in=case_ids)
    wait_for(
        "every escalation delivered",
        lambda: (
            escalations.count() == 2 * DEADLINES
            and not escalations.exclude(status=Notification.Status.SENT).exists()
        ),
        workers.stack,
        120,
    )

    assert 0 < done_when_killed < 3 * DEADLINES, done_when_killed
    per_kind = reminders.values("deadline_id", "kind").annotate(n=Count("id"))
    assert {row["n"] for row in per_kind} == {1}
    assert Counter(r["kind"] for r in per_kind) == {
        DeadlineReminder.Kind.BEFORE: DEADLINES,
        DeadlineReminder.Kind.DUE: DEADLINES,
        DeadlineReminder.Kind.OVERDUE: DEADLINES,
    }
    per_case = Counter(escalations.values_list("case_id", "channel"))
    assert set(per_case.values()) == {1}
    assert len(per_case) == 2 * DEADLINES  # inbox and e-mail to the one supervisor, every case
    _sent_once(workers.outbox, list(escalations))
    assert second.proc.poll() is None
