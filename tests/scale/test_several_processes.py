"""Two of every process, as on two machines, against one PostgreSQL and one Redis.

Two gunicorn web servers, two Celery workers and two beats run as real subprocesses on the
test database. The test shows what must hold when the portal runs on several machines: a
schedule fires once per tick whichever beats run (and goes on when the leading beat dies),
reminders swept by both workers at once go out once, and a document uploaded through one
web server downloads through the other with the same session."""

from __future__ import annotations

import datetime
import io
import random
import re
from collections import Counter
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db.models import Count
from PIL import Image

from accounts.models import User
from cases.deadlines import deadline_start
from cases.history import case_open
from cases.models import (
    CaseKind,
    Channel,
    DeadlineReminder,
    DeadlineStep,
    Document,
    DocumentKind,
    Notification,
)
from cases.tasks import sweep_deadlines
from cases.workflow import today
from tests.accounts.factories import AgencyFactory, InsuredPersonFactory, UserFactory, staff_user
from tests.scale.processes import Client, Process, Stack, answers, stack_env, wait_for

CASES = 20
SWEEPS_PER_WORKER = 10
LOCK_TTL_SECONDS = 3
# celery beat's own log line for each send, with the time the logging format puts first.
SEND_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO celery\.beat "
    r"Scheduler: Sending due task sweep-deadlines ",
    re.MULTILINE,
)


@pytest.fixture
def stack(transactional_db: None, tmp_path) -> Iterator[Stack]:
    """Processes on the test database; stopped before the database is flushed."""
    env = stack_env(
        database=settings.DATABASES["default"],
        broker_url=settings.CELERY_BROKER_URL,
        redis_url=settings.REDIS_URL,
        cache_prefix=settings.CACHES["default"]["KEY_PREFIX"],
    )
    env["BEAT_SWEEP_SECONDS"] = "1"
    env["BEAT_LOCK_TTL_SECONDS"] = str(LOCK_TTL_SECONDS)
    stack = Stack(env, tmp_path)
    try:
        yield stack
    finally:
        stack.stop()


def _overdue_cases(applicant: User, agency) -> list:
    """Cases whose review deadline passed weeks ago: reminder, due-day notice and
    escalation are all due at once."""
    cases = []
    for _ in range(CASES):
        case = case_open(
            kind=CaseKind.WITHDRAWAL,
            person=applicant.person,
            agency=agency,
            channel=Channel.ONLINE,
            state="submitted",
            by=None,
            applicant=applicant,
        )
        deadline_start(
            case=case,
            step=DeadlineStep.REVIEW,
            working_days=5,
            start=today() - datetime.timedelta(days=40),
        )
        cases.append(case)
    return cases


def _png() -> bytes:
    image = Image.new("RGB", (40, 30))
    image.putdata([tuple(random.randrange(256) for _ in range(3)) for _ in range(40 * 30)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _sends(beat: Process) -> list[float]:
    return [
        datetime.datetime.strptime(at, "%Y-%m-%d %H:%M:%S,%f")
        .replace(tzinfo=datetime.UTC)
        .timestamp()
        for at in SEND_LINE.findall(beat.text())
    ]


def _succeeded(worker: Process, task_ids: list[str]) -> bool:
    text = worker.text()
    return all(f"[{task_id}] succeeded" in text for task_id in task_ids)


@pytest.mark.django_db(transaction=True)
def test_two_of_each_process_fire_once_remind_once_and_share_uploads(stack: Stack) -> None:
    agency = AgencyFactory()
    clerk = staff_user("clerk", agency)
    supervisor = staff_user("supervisor", agency)
    User.objects.filter(pk__in=[clerk.pk, supervisor.pk]).update(email="staff@example.cn")
    applicant = UserFactory(username="applicant", person=InsuredPersonFactory())
    cases = _overdue_cases(applicant, agency)

    webs = [stack.web("web1"), stack.web("web2")]
    workers = [stack.worker("worker1", "w1"), stack.worker("worker2", "w2")]
    beats = [stack.beat("beat1"), stack.beat("beat2")]
    for web in webs:
        wait_for(f"{web.name} to answer", lambda web=web: answers(web.port), stack)
    for worker in workers:
        wait_for(f"{worker.name} to be ready", lambda w=worker: " ready." in w.text(), stack)

    # Both workers sweep the same due deadlines at once, besides what the beat sends.
    sent_to = {
        worker.name: [sweep_deadlines.apply_async(queue=queue).id for _ in range(SWEEPS_PER_WORKER)]
        for worker, queue in zip(workers, ["w1", "w2"], strict=True)
    }

    # A document uploaded through one web server comes back, byte for byte, through the other,
    # on the session the first one opened.
    content = _png()
    browser = Client(webs[0].port)
    assert browser.login("applicant", "Str0ng-pass").status == 302
    upload = browser.post(
        f"/cases/{cases[0].pk}/documents/",
        {"csrfmiddlewaretoken": browser.cookies["csrftoken"], "kind": DocumentKind.BANK_CARD},
        [("file", "card.png", "image/png", content)],
    )
    assert upload.status == 302, upload.body[:500]
    document = Document.objects.get(case=cases[0])
    browser.port = webs[1].port
    download = browser.get(f"/documents/{document.pk}/")
    assert download.status == 200
    assert download.body == content

    for worker in workers:
        wait_for(
            f"the sweeps sent to {worker.name}",
            lambda w=worker: _succeeded(w, sent_to[w.name]),
            stack,
        )
    # The sweeps claim; the fan-out they hand on writes the notifications.
    wait_for(
        "every reminder told",
        lambda: not DeadlineReminder.objects.filter(notified_at=None).exists(),
        stack,
    )
    wait_for(
        "every notification delivered",
        lambda: not Notification.objects.exclude(status=Notification.Status.SENT).exists(),
        stack,
    )
    reminders = Counter(
        DeadlineReminder.objects.filter(deadline__case__in=cases).values_list("kind", flat=True)
    )
    assert reminders == {"before": CASES, "due": CASES, "overdue": CASES}, stack.describe()
    # Which reminders a late sweep sends is the sweep's business; here every case is in the
    # same state, so each gets the same messages, none twice, each delivered by one claim.
    notifications = Notification.objects.filter(case__in=cases)
    per_case = Counter(notifications.values_list("case", flat=True))
    assert set(per_case) == {case.pk for case in cases}
    assert len(set(per_case.values())) == 1
    per_message = notifications.values("case", "recipient", "channel", "subject")
    assert not per_message.annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(notifications.values_list("attempts", flat=True)) == {1}

    # One beat leads and sends each tick; when it dies the other takes over, and never do
    # both send.
    leader = wait_for(
        "the leading beat to send three sweeps",
        lambda: next((b for b in beats if len(_sends(b)) >= 3), None),
        stack,
    )
    standby = next(b for b in beats if b is not leader)
    leader.kill()
    wait_for("the standby beat to send three sweeps", lambda: len(_sends(standby)) >= 3, stack)
    stack.stop()

    before, after = _sends(leader), _sends(standby)
    assert max(before) < min(after)
    times = sorted(before + after)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) > 0.5, gaps
