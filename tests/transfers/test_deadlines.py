"""Working-day limits of a transfer: 10 days to transfer out, 15 in all, 5 at the
destination from the table's receipt; 补件 pauses them."""

from __future__ import annotations

import datetime

import pytest

from cases.calendar import is_published_year
from cases.models import Deadline
from tests.transfers.factories import mover, window_transfer
from transfers import services
from transfers.models import Transfer

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def transfer(places):
    return window_transfer(mover(places.dongguan, places.changde), places.dongguan, places.changde)


def _due(transfer, step):
    return Deadline.objects.get(case=transfer.case, step=step)


def test_the_origin_limit_skips_the_national_day_holiday(transfer, origin_clerk):
    services.transfer_accept(case=transfer.case, by=origin_clerk, on=D(2026, 9, 24))

    origin = _due(transfer, "transfer_origin")
    total = _due(transfer, "transfer_total")
    assert (origin.due_on, origin.provisional) == (D(2026, 10, 15), False)
    # Five working days more, counting the make-up Saturday only where it falls after.
    assert (total.due_on, total.provisional) == (D(2026, 10, 22), False)


def test_a_limit_reaching_into_2027_is_flagged_provisional(transfer, origin_clerk):
    assert not is_published_year(2027)

    services.transfer_accept(case=transfer.case, by=origin_clerk, on=D(2026, 12, 24))

    origin = _due(transfer, "transfer_origin")
    assert origin.due_on.year == 2027
    assert origin.provisional is True


def test_the_destination_limit_counts_from_the_receipt_of_the_table(transfer, origin_clerk):
    services.transfer_accept(case=transfer.case, by=origin_clerk, on=D(2026, 9, 24))

    services.transfer_out(case=transfer.case, by=origin_clerk, on=D(2026, 9, 29))

    destination = _due(transfer, "transfer_destination")
    assert destination.started_on == D(2026, 9, 29)
    assert destination.due_on == D(2026, 10, 12)  # 9-30, then 10-9, 10-10 (调休), 10-12


def test_asking_for_documents_pauses_every_clock_and_their_arrival_resumes_it(
    transfer, origin_clerk
):
    services.transfer_accept(case=transfer.case, by=origin_clerk, on=D(2026, 11, 2))
    # 11-02 + 10 working days = 11-16; on 11-04 two have passed and 8 are left.

    services.transfer_request_documents(
        case=transfer.case, by=origin_clerk, note="请补交参保凭证", on=D(2026, 11, 4)
    )
    paused = _due(transfer, "transfer_origin")
    services.transfer_documents_received(case=transfer.case, by=origin_clerk, on=D(2026, 11, 9))

    resumed = _due(transfer, "transfer_origin")
    transfer.refresh_from_db()
    assert (paused.status, paused.remaining_days) == (Deadline.Status.PAUSED, 8)
    assert transfer.case.due_on is not None
    assert resumed.status == Deadline.Status.OPEN
    assert resumed.due_on == D(2026, 11, 19)  # 11-09 + 8 working days
    assert transfer.state == Transfer.State.ACCEPTED


def test_documents_asked_before_acceptance_return_the_case_to_the_application(
    transfer, origin_clerk
):
    services.transfer_request_documents(case=transfer.case, by=origin_clerk, note="身份证反面不清")

    services.transfer_documents_received(case=transfer.case, by=origin_clerk)

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.APPLIED
    # Only the acceptance clock ran, paused while the documents were awaited.
    clocks = dict(Deadline.objects.filter(case=transfer.case).values_list("step", "status"))
    assert clocks == {"intake": Deadline.Status.OPEN}
