"""Two clerks press 受理 on the same case at the same moment: real threads, each with its
own connection and transaction, on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from cases.errors import CaseError
from cases.models import CaseEvent, Deadline
from tests.accounts.factories import staff_user
from tests.transfers.factories import mover, window_transfer, world
from transfers import services
from transfers.models import Transfer

pytestmark = pytest.mark.django_db(transaction=True)


def _race(jobs: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = jobs[i]()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever happened
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread is still blocked"
    return results


def test_two_clerks_accepting_at_once_one_wins_and_the_other_is_told_why():
    places = world()
    transfer = window_transfer(
        mover(places.dongguan, places.changde), places.dongguan, places.changde
    )
    first = staff_user("clerk", places.dongguan, username="clerk-a")
    second = staff_user("clerk", places.dongguan, username="clerk-b")

    results = _race(
        [
            lambda: services.transfer_accept(case=transfer.case, by=first),
            lambda: services.transfer_accept(case=transfer.case, by=second),
        ]
    )

    won = [r for r in results if isinstance(r, Transfer)]
    lost = [r for r in results if isinstance(r, CaseError)]
    assert (len(won), len(lost)) == (1, 1), results
    assert lost[0].code == "wrong_state"
    assert "受理" in lost[0].message or "Accepted" in lost[0].message
    assert CaseEvent.objects.filter(case=transfer.case, action="accept").count() == 1
    assert Deadline.objects.filter(case=transfer.case).count() == 3
