"""The forecast's arithmetic on a team and a queue whose answer is worked out by hand.

The team took 10 steps out of the stage in the 20-day window: a pace of 1/2 a step per working
day, so the k-th case of the queue is done after 2k working days. Clerk 7 took 5 of the 10."""

from __future__ import annotations

import datetime
from fractions import Fraction

import pytest

from cases.forecast import QueuedCase, StagePace, WhatIf, _steps_needed, days_to_finish, forecast

STAGE = ("withdrawal", "submitted")
OTHER = ("transfer", "accepted")
TODAY = datetime.date(2026, 11, 2)
FILED = datetime.datetime(2026, 10, 1, 9, 0, tzinfo=datetime.UTC)
CLERK = 7


def _day_after(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def _case(case_id: int, days_left: int | None, stage=STAGE) -> QueuedCase:
    return QueuedCase(
        case_id=case_id,
        reference=f"TQ{case_id}",
        stage=stage,
        filed_at=FILED + datetime.timedelta(hours=case_id),
        due_on=_day_after(days_left) if days_left is not None else None,
        days_left=days_left,
    )


# Filed in this order; needing 2, 4, 6 and 8 working days at the team's pace.
QUEUE = [_case(1, 3), _case(2, 3), _case(3, 10), _case(4, 5)]
PACES = {STAGE: StagePace(done=10, by_staff={CLERK: 5, 8: 5})}


def _refs(result) -> list[str]:
    return [b.case.reference for b in result.breaches]


def test_the_cases_whose_turn_comes_after_their_limit_are_forecast_to_breach():
    result = forecast(QUEUE, PACES, day_after=_day_after)

    assert _refs(result) == ["TQ2", "TQ4"]
    second, fourth = result.breaches
    assert (second.ahead, second.days_needed, second.breaches_on) == (1, 4, _day_after(3))
    assert (fourth.ahead, fourth.days_needed, fourth.done_on) == (3, 8, _day_after(8))


def test_a_clerk_absent_four_days_takes_their_half_of_the_pace_for_those_days():
    # A quarter step a day for four days, then half a step again: the first case needs 4
    # days, the second 6, the third 8 (still within its 10), the fourth 10.
    result = forecast(
        QUEUE, PACES, what_if=WhatIf(absent_user_id=CLERK, absent_days=4), day_after=_day_after
    )

    assert _refs(result) == ["TQ1", "TQ2", "TQ4"]
    assert [b.days_needed for b in result.breaches] == [4, 6, 10]


def test_reassigning_one_case_hands_over_the_first_to_breach_and_moves_the_rest_up():
    result = forecast(QUEUE, PACES, what_if=WhatIf(reassigned=1), day_after=_day_after)

    assert [c.reference for c in result.reassigned] == ["TQ2"]
    # The fourth case now has two ahead of it: 6 working days, still more than its 5.
    assert _refs(result) == ["TQ4"]
    assert result.breaches[0].ahead == 2


def test_reassigning_two_clears_the_list():
    result = forecast(QUEUE, PACES, what_if=WhatIf(reassigned=2), day_after=_day_after)

    assert [c.reference for c in result.reassigned] == ["TQ2", "TQ4"]
    assert result.breaches == []


def test_a_stage_nobody_works_breaches_every_running_case_with_no_forecast_day():
    idle = [_case(5, 30, stage=OTHER), _case(6, None, stage=OTHER)]

    result = forecast(idle, PACES, day_after=_day_after)

    assert _refs(result) == ["TQ5"]
    assert result.breaches[0].days_needed is None
    assert result.breaches[0].done_on is None


def test_a_paused_or_overdue_case_is_not_forecast_but_keeps_its_place():
    queue = [_case(1, -1), _case(2, None), _case(3, 5)]

    result = forecast(queue, PACES, day_after=_day_after)

    # Third in line: 6 working days for a case with 5 left.
    assert _refs(result) == ["TQ3"]
    assert result.breaches[0].ahead == 2


def test_days_to_finish_counts_the_slow_days_first():
    assert days_to_finish(3, Fraction(1, 2)) == 6
    assert days_to_finish(3, Fraction(1, 2), slowed_for=2, slowed_pace=Fraction(0)) == 8
    assert days_to_finish(1, Fraction(0)) is None
    assert days_to_finish(1, Fraction(1, 2), slowed_for=5, slowed_pace=Fraction(1, 4)) == 4


@pytest.mark.parametrize(
    ("done", "theirs", "absent_days"),
    [(10, 5, 4), (10, 0, 0), (3, 3, 2), (0, 0, 3), (7, 2, 0), (40, 1, 60)],
)
def test_the_days_counted_in_integers_are_those_of_days_to_finish(done, theirs, absent_days):
    pace = StagePace(done, {CLERK: theirs} if theirs else {})
    slowed = pace.per_day * (1 - pace.share_of(CLERK)) if absent_days else None

    needed = _steps_needed(pace, WhatIf(absent_user_id=CLERK, absent_days=absent_days))

    for work in range(1, 40):
        fraction = needed(work)
        assert (Fraction(*fraction) if fraction else None) == days_to_finish(
            work, pace.per_day, slowed_for=absent_days, slowed_pace=slowed
        )
