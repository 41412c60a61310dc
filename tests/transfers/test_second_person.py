"""双人复核 on a transfer: from the region's threshold, the transfer-out that sends a balance
and the destination's credit are prepared by one member of staff and confirmed by another of
the same agency, never the one who prepared them; below it one person does both."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import RegionPolicy
from cases.errors import CaseError
from tests.accounts.factories import staff_user
from tests.transfers.factories import balances, mover, window_transfer
from tests.withdrawals.factories import debit
from transfers import services
from transfers.models import Transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def threshold(places):
    """Payments of 500 yuan and more need a second person at both ends."""
    for agency in (places.dongguan, places.changde):
        RegionPolicy.objects.update_or_create(
            region=agency.region, defaults={"second_person_from": Decimal("500.00")}
        )


@pytest.fixture
def accepted(places, origin_clerk):
    transfer = window_transfer(
        mover(places.dongguan, places.changde), places.dongguan, places.changde
    )
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    return transfer


def _reload(transfer: Transfer) -> Transfer:
    return Transfer.objects.get(pk=transfer.pk)


def test_below_the_threshold_one_person_transfers_out(places, accepted, origin_clerk):
    RegionPolicy.objects.update_or_create(
        region=places.dongguan.region, defaults={"second_person_from": Decimal("1000.01")}
    )

    services.transfer_out(case=accepted.case, by=origin_clerk)

    assert _reload(accepted).state == Transfer.State.TRANSFERRED_OUT


def test_from_the_threshold_the_transfer_out_waits_for_a_second_person(
    threshold, accepted, origin_clerk
):
    services.transfer_out(case=accepted.case, by=origin_clerk)

    transfer = _reload(accepted)
    assert transfer.state == Transfer.State.OUT_PREPARED
    assert transfer.prepared_amount == Decimal("1000.00")
    assert transfer.prepared_by == origin_clerk
    assert transfer.origin_account.balance == Decimal("1000.00")  # nothing moved yet


def test_the_one_who_prepared_it_cannot_confirm_it(threshold, accepted, origin_clerk):
    services.transfer_out(case=accepted.case, by=origin_clerk)

    with pytest.raises(CaseError) as refused:
        services.transfer_out_confirm(case=accepted.case, by=origin_clerk)

    assert refused.value.code == "forbidden"
    assert _reload(accepted).state == Transfer.State.OUT_PREPARED


def test_a_colleague_confirms_and_the_balance_leaves(threshold, places, accepted, origin_clerk):
    colleague = staff_user("supervisor", places.dongguan)
    services.transfer_out(case=accepted.case, by=origin_clerk)

    services.transfer_out_confirm(case=accepted.case, by=colleague)

    transfer = _reload(accepted)
    assert transfer.state == Transfer.State.TRANSFERRED_OUT
    assert transfer.amount_in_transit == Decimal("1000.00")
    assert transfer.prepared_by is None
    assert balances(transfer) == Decimal("1000.00")


def test_staff_of_the_other_agency_cannot_confirm(
    threshold, accepted, origin_clerk, destination_clerk
):
    services.transfer_out(case=accepted.case, by=origin_clerk)

    with pytest.raises(CaseError) as refused:
        services.transfer_out_confirm(case=accepted.case, by=destination_clerk)

    assert refused.value.code == "forbidden"


def test_a_balance_changed_since_preparing_is_not_confirmed(
    threshold, places, accepted, origin_clerk
):
    services.transfer_out(case=accepted.case, by=origin_clerk)
    debit(_reload(accepted).origin_account, "10.00")  # a charge at a pharmacy meanwhile

    with pytest.raises(CaseError) as refused:
        services.transfer_out_confirm(
            case=accepted.case, by=staff_user("supervisor", places.dongguan)
        )

    assert refused.value.code == "amount_changed"


def test_the_second_person_sends_it_back_with_a_reason(threshold, places, accepted, origin_clerk):
    services.transfer_out(case=accepted.case, by=origin_clerk)

    services.transfer_out_send_back(
        case=accepted.case, by=staff_user("supervisor", places.dongguan), note="账号需核对"
    )

    transfer = _reload(accepted)
    assert transfer.state == Transfer.State.ACCEPTED
    assert transfer.case.events.filter(
        action="send_back_transfer_out", reason="账号需核对"
    ).exists()


def test_the_destination_credit_is_confirmed_by_a_second_person(
    threshold, places, accepted, origin_clerk, destination_clerk
):
    services.transfer_out_confirm(
        case=services.transfer_out(case=accepted.case, by=origin_clerk).case,
        by=staff_user("supervisor", places.dongguan),
    )
    services.transfer_in(case=accepted.case, by=destination_clerk)

    services.transfer_credit(case=accepted.case, by=destination_clerk, received_amount="1000.00")
    prepared = _reload(accepted)
    with pytest.raises(CaseError):
        services.transfer_credit_confirm(case=accepted.case, by=destination_clerk)
    services.transfer_credit_confirm(
        case=accepted.case, by=staff_user("supervisor", places.changde)
    )

    assert prepared.state == Transfer.State.CREDIT_PREPARED
    transfer = _reload(accepted)
    assert transfer.state == Transfer.State.COMPLETED
    assert transfer.destination_account.balance == Decimal("1000.00")


def test_the_destination_asks_for_documents_and_its_clock_pauses(
    places, origin_clerk, destination_clerk
):
    from cases.models import Deadline, DeadlineStep

    transfer = window_transfer(
        mover(places.dongguan, places.changde), places.dongguan, places.changde
    )
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)

    with pytest.raises(CaseError):
        services.transfer_request_documents(case=transfer.case, by=origin_clerk, note="户口簿")
    services.transfer_request_documents(case=transfer.case, by=destination_clerk, note="户口簿")
    paused = _reload(transfer)
    destination_clock = Deadline.objects.get(
        case=transfer.case, step=DeadlineStep.TRANSFER_DESTINATION
    )
    with pytest.raises(CaseError):
        services.transfer_documents_received(case=transfer.case, by=origin_clerk)
    services.transfer_documents_received(case=transfer.case, by=destination_clerk)

    assert paused.state == Transfer.State.DOCUMENTS_REQUESTED
    assert destination_clock.status == Deadline.Status.PAUSED
    assert _reload(transfer).state == Transfer.State.TRANSFERRED_OUT
    destination_clock.refresh_from_db()
    assert destination_clock.status == Deadline.Status.OPEN
