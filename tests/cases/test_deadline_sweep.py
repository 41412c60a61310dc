from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import override

from accounts.models import RegionPolicy
from cases.deadlines import deadline_close, deadline_start, deadlines_pause
from cases.models import Deadline, DeadlineReminder, DeadlineStep, Notification
from cases.reminders import SweepResult, _deadline_message, deadlines_sweep, reminders_fan_out
from tests.accounts.factories import InsuredPersonFactory, staff_user
from tests.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db

D = datetime.date
START, DUE = D(2026, 9, 24), D(2026, 10, 15)  # 10 working days over the National Day
BEFORE_DAY = D(2026, 10, 13)  # two working days before


@pytest.fixture
def deadline(case):
    return deadline_start(case=case, step=DeadlineStep.REVIEW, working_days=10, start=START)


@pytest.fixture
def staff(clerk, reviewer, supervisor, outsider):
    return {"clerk": clerk, "reviewer": reviewer, "supervisor": supervisor, "outsider": outsider}


def _inbox(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, channel="inbox").values_list(
            "subject", flat=True
        )
    )


def _sweep(*, on: datetime.date, batch: int = 500) -> SweepResult:
    """What beat and the workers do: the sweep claims, then the fan-out tells."""
    result = deadlines_sweep(on=on, batch=batch)
    reminders_fan_out(batch=batch)
    return result


def _kinds(deadline) -> set[str]:
    return set(deadline.reminders.values_list("kind", flat=True))


def test_nothing_is_sent_before_the_reminder_day(deadline, staff):
    result = _sweep(on=BEFORE_DAY - datetime.timedelta(days=1))

    assert result.sent == 0
    assert not Notification.objects.exists()


def test_clerks_and_reviewers_are_reminded_two_working_days_before(deadline, staff):
    result = _sweep(on=BEFORE_DAY)

    assert result.sent == 1
    assert _kinds(deadline) == {DeadlineReminder.Kind.BEFORE}
    assert len(_inbox(staff["clerk"])) == 1
    assert len(_inbox(staff["reviewer"])) == 1
    assert _inbox(staff["supervisor"]) == []
    assert _inbox(staff["outsider"]) == []
    assert Notification.objects.filter(recipient=staff["clerk"], channel="email").count() == 1
    assert Deadline.objects.get(pk=deadline.pk).next_sweep_on == DUE


def test_the_reminder_day_follows_the_region_policy(case, staff, agency):
    RegionPolicy.objects.create(region=agency.region, reminder_days_before=3)
    deadline = deadline_start(case=case, step=DeadlineStep.REVIEW, working_days=10, start=START)

    result = _sweep(on=D(2026, 10, 12))

    assert result.sent == 1
    assert _kinds(deadline) == {DeadlineReminder.Kind.BEFORE}


def test_on_the_day_a_second_reminder_goes_out(deadline, staff):
    _sweep(on=BEFORE_DAY)

    result = _sweep(on=DUE)

    assert result.sent == 1
    assert _kinds(deadline) == {"before", "due"}
    assert len(_inbox(staff["clerk"])) == 2
    assert Deadline.objects.get(pk=deadline.pk).next_sweep_on == DUE + datetime.timedelta(days=1)


def test_an_overdue_step_is_escalated_to_the_supervisors_of_the_agency(deadline, staff, case):
    _sweep(on=BEFORE_DAY)
    _sweep(on=DUE)

    result = _sweep(on=DUE + datetime.timedelta(days=1))

    assert result.sent == 1
    assert len(_inbox(staff["supervisor"])) == 1
    assert len(_inbox(staff["clerk"])) == 2
    assert _inbox(staff["outsider"]) == []
    assert case.events.filter(action="escalated", actor__isnull=True).count() == 1
    assert Deadline.objects.get(pk=deadline.pk).next_sweep_on is None


def test_a_late_first_sweep_sends_only_the_escalation(deadline, staff):
    result = _sweep(on=D(2026, 10, 20))

    assert _kinds(deadline) == {"before", "due", "overdue"}
    assert result.sent == 1
    assert len(_inbox(staff["supervisor"])) == 1
    assert _inbox(staff["clerk"]) == []


def test_each_reminder_goes_out_once_however_often_the_sweep_runs(deadline, staff):
    for day in (BEFORE_DAY, BEFORE_DAY, DUE, DUE, D(2026, 10, 16), D(2026, 10, 16)):
        _sweep(on=day)

    assert DeadlineReminder.objects.filter(deadline=deadline).count() == 3
    assert len(_inbox(staff["clerk"])) == 2
    assert len(_inbox(staff["supervisor"])) == 1


def test_a_sweep_that_sees_a_row_again_sends_nothing_twice(deadline, staff):
    _sweep(on=DUE)
    Deadline.objects.filter(pk=deadline.pk).update(next_sweep_on=BEFORE_DAY)

    result = _sweep(on=DUE)

    assert result.examined == 1
    assert result.sent == 0
    assert len(_inbox(staff["clerk"])) == 1


def test_a_paused_deadline_sends_nothing(deadline, staff, case, clerk):
    deadlines_pause(case=case, by=clerk, on=D(2026, 9, 28))

    result = _sweep(on=D(2026, 12, 1))

    assert result.examined == 0
    assert not DeadlineReminder.objects.exists()
    assert not Notification.objects.exists()


def test_a_met_deadline_sends_nothing(deadline, staff, case):
    deadline_close(case=case, step=DeadlineStep.REVIEW)

    assert _sweep(on=D(2026, 12, 1)).examined == 0


def test_the_next_sweep_day_advances_and_ends_empty(deadline, staff):
    days = []
    for day in (BEFORE_DAY, DUE, DUE + datetime.timedelta(days=1)):
        _sweep(on=day)
        days.append(Deadline.objects.get(pk=deadline.pk).next_sweep_on)

    assert days == [DUE, DUE + datetime.timedelta(days=1), None]


def test_a_transfer_reminds_only_the_agency_whose_step_it_is(person, agency, far_agency, staff):
    far_clerk = staff_user("clerk", far_agency)
    transfer = CaseFactory(person=person, agency=agency, other_agency=far_agency)
    deadline_start(
        case=transfer, step=DeadlineStep.TRANSFER_DESTINATION, working_days=5, start=START
    )

    _sweep(on=D(2026, 10, 9))

    assert len(_inbox(far_clerk)) == 1
    assert _inbox(staff["clerk"]) == []


def _not_due_deadlines(agency, count: int) -> None:
    for _ in range(count):
        other = CaseFactory(person=InsuredPersonFactory(), agency=agency)
        deadline_start(case=other, step=DeadlineStep.REVIEW, working_days=15, start=D(2026, 12, 1))


def _sweep_queries(day: datetime.date) -> int:
    with CaptureQueriesContext(connection) as queries:
        _sweep(on=day)
    return len(queries)


def test_the_sweep_costs_the_same_whatever_the_number_of_deadlines_not_due(
    deadline, staff, agency, person
):
    # A second deadline one working day behind the first: each sweep sends one reminder.
    later = CaseFactory(person=person, agency=agency)
    deadline_start(case=later, step=DeadlineStep.REVIEW, working_days=10, start=D(2026, 9, 28))
    _not_due_deadlines(agency, 3)
    few = _sweep_queries(BEFORE_DAY)
    _not_due_deadlines(agency, 40)

    many = _sweep_queries(D(2026, 10, 14))

    assert DeadlineReminder.objects.count() == 2
    assert many == few


def test_the_sweep_cost_grows_with_due_rows_only_linearly(
    staff, agency, django_assert_max_num_queries
):
    for _ in range(10):
        other = CaseFactory(person=InsuredPersonFactory(), agency=agency)
        deadline_start(case=other, step=DeadlineStep.REVIEW, working_days=10, start=START)

    with django_assert_max_num_queries(10 * 12):
        result = _sweep(on=BEFORE_DAY)

    assert result.sent == 10


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_reminder_exactly_once(regions):
    from tests.accounts.factories import AgencyFactory

    agency = AgencyFactory(code="DG", region=regions["dongguan"])
    clerk = staff_user("clerk", agency)
    supervisor = staff_user("supervisor", agency)
    for _ in range(12):
        case = CaseFactory(person=InsuredPersonFactory(), agency=agency)
        deadline_start(case=case, step=DeadlineStep.REVIEW, working_days=10, start=START)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            _sweep(on=D(2026, 10, 16), batch=4)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert DeadlineReminder.objects.filter(kind="overdue").count() == 12
    assert DeadlineReminder.objects.count() == 36
    assert Notification.objects.filter(recipient=supervisor, channel="inbox").count() == 12
    assert Notification.objects.filter(recipient=clerk).count() == 0
    assert not Deadline.objects.filter(next_sweep_on__isnull=False).exists()


def test_a_closed_case_whose_clock_was_left_running_reminds_no_one(deadline, staff, case):
    from django.utils import timezone

    from cases.models import Case

    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now())

    result = _sweep(on=D(2026, 10, 20))

    assert result.sent == 0
    assert not Notification.objects.exists()
    assert Deadline.objects.get(pk=deadline.pk).next_sweep_on is None


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_the_sweep_claims_a_batch_in_one_statement_and_tells_no_one_itself(deadline, staff):
    with CaptureQueriesContext(connection) as queries:
        result = deadlines_sweep(on=DUE)

    assert len(_statements(queries)) == 1
    assert result.sent == 1
    assert not Notification.objects.exists()
    assert set(deadline.reminders.filter(notified_at=None).values_list("kind", flat=True)) == {
        "due"
    }
    # The reminder the late sweep skipped is claimed already told.
    assert deadline.reminders.get(kind="before").notified_at is not None


def test_the_fan_out_tells_each_claimed_reminder_once(deadline, staff):
    deadlines_sweep(on=BEFORE_DAY)

    first = reminders_fan_out()
    second = reminders_fan_out()

    assert (first.examined, first.sent) == (1, 1)
    assert (second.examined, second.sent) == (0, 0)
    assert len(_inbox(staff["clerk"])) == 1
    assert not DeadlineReminder.objects.filter(notified_at=None).exists()


def test_a_fan_out_that_fails_half_way_leaves_its_reminders_to_the_next(
    deadline, staff, case, monkeypatch
):
    from cases import reminders

    deadlines_sweep(on=DUE + datetime.timedelta(days=1))
    real = reminders._notify_deadlines

    def write_then_die(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(reminders, "_notify_deadlines", write_then_die)
    with pytest.raises(RuntimeError):
        reminders_fan_out()
    assert not Notification.objects.exists()
    assert not case.events.filter(action="escalated").exists()
    monkeypatch.setattr(reminders, "_notify_deadlines", real)

    reminders_fan_out()

    assert len(_inbox(staff["supervisor"])) == 1
    assert case.events.filter(action="escalated").count() == 1


def test_a_clock_stopped_between_the_claim_and_the_fan_out_reminds_no_one(deadline, staff, case):
    deadlines_sweep(on=DUE)
    deadline_close(case=case, step=DeadlineStep.REVIEW)

    result = reminders_fan_out()

    assert (result.examined, result.sent) == (1, 0)
    assert not Notification.objects.exists()
    assert not DeadlineReminder.objects.filter(notified_at=None).exists()


def test_of_several_untold_kinds_of_one_deadline_the_fan_out_sends_the_latest(deadline, staff):
    deadlines_sweep(on=BEFORE_DAY)  # the fan-out did not run that day
    deadlines_sweep(on=DUE)

    result = reminders_fan_out()

    assert (result.examined, result.sent) == (2, 1)
    with override(getattr(staff["clerk"], "language", "") or "zh-hans"):
        due_today = _deadline_message(deadline, DeadlineReminder.Kind.DUE)[0]
    assert _inbox(staff["clerk"]) == [due_today]


def test_a_sweep_that_claimed_reminders_hands_the_fan_out_on_after_commit(
    deadline, staff, monkeypatch, django_capture_on_commit_callbacks
):
    from cases.reminders import fan_out_reminders

    published: list[bool] = []
    monkeypatch.setattr(fan_out_reminders, "delay", lambda: published.append(True))

    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep(on=BEFORE_DAY - datetime.timedelta(days=1))
    assert published == []
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep(on=BEFORE_DAY)

    assert published == [True]


def test_a_dead_broker_leaves_the_claimed_reminders_to_the_scheduled_fan_out(
    deadline, staff, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from cases.reminders import fan_out_reminders

    def dead() -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(fan_out_reminders, "delay", dead)

    with django_capture_on_commit_callbacks(execute=True):
        result = deadlines_sweep(on=BEFORE_DAY)

    assert result.sent == 1
    assert DeadlineReminder.objects.filter(notified_at=None).count() == 1
    assert reminders_fan_out().sent == 1
