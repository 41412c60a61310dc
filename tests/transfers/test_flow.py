"""The whole transfer: accept → transfer out → transfer in → credit → completed, with the
money conserved at every step and the origin's coverage ended once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Enrollment, FundSource, LedgerEntry, PersonalAccount
from accounts.selectors import ledger_differences
from accounts.signals import CoverageEnd, coverage_ended
from cases.errors import CaseError
from cases.models import Deadline, Notification
from tests.transfers.factories import balances, mover, photo, window_transfer
from transfers import services
from transfers.choices import MoneyMode, TransferType
from transfers.models import Transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    received = []

    def receiver(sender, person, reason, by, **kwargs):
        received.append((person.pk, reason))

    coverage_ended.connect(receiver)
    yield received
    coverage_ended.disconnect(receiver)


@pytest.fixture
def transfer(places):
    return window_transfer(mover(places.dongguan, places.changde), places.dongguan, places.changde)


def test_the_money_is_conserved_at_every_step(transfer, origin_clerk, destination_clerk):
    start = balances(transfer)

    services.transfer_accept(case=transfer.case, by=origin_clerk)
    after_accept = balances(transfer)
    services.transfer_out(case=transfer.case, by=origin_clerk)
    after_out = balances(transfer)
    in_transit = transfer.amount_in_transit
    services.transfer_in(case=transfer.case, by=destination_clerk)
    after_in = balances(transfer)
    services.transfer_credit(case=transfer.case, by=destination_clerk, received_amount="1000.00")
    after_credit = balances(transfer)

    assert start == Decimal("1000.00")
    assert after_accept == after_out == after_in == after_credit == start
    assert in_transit == Decimal("1000.00")
    assert transfer.amount_in_transit == 0
    assert ledger_differences() == []


def test_the_destination_credit_keeps_the_employer_funded_part_apart(
    transfer, origin_clerk, destination_clerk
):
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)
    services.transfer_in(case=transfer.case, by=destination_clerk)

    services.transfer_credit(case=transfer.case, by=destination_clerk, received_amount="1000.00")

    transfer.refresh_from_db()
    credits = dict(
        LedgerEntry.objects.filter(account=transfer.destination_account).values_list(
            "fund_source", "amount"
        )
    )
    assert credits == {
        FundSource.TRANSFER_IN: Decimal("800.00"),
        FundSource.EMPLOYER: Decimal("200.00"),
    }
    assert transfer.info_table.individual_part == Decimal("800.00")
    assert transfer.info_table.employer_part == Decimal("200.00")


def test_a_missing_destination_account_is_opened_at_transfer_in(
    transfer, origin_clerk, destination_clerk
):
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)
    assert not PersonalAccount.objects.filter(enrollment=transfer.destination_enrollment).exists()

    services.transfer_in(case=transfer.case, by=destination_clerk)

    transfer.refresh_from_db()
    assert transfer.destination_account.enrollment == transfer.destination_enrollment
    assert transfer.destination_enrollment.contribution_months == 4 + 96


def test_completion_closes_the_origin_and_announces_the_transfer_once(
    transfer, origin_clerk, destination_clerk, announced
):
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)
    services.transfer_in(case=transfer.case, by=destination_clerk)

    services.transfer_credit(case=transfer.case, by=destination_clerk, received_amount="1000.00")

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.COMPLETED
    assert transfer.case.closed_at is not None
    assert announced == [(transfer.case.person_id, CoverageEnd.TRANSFERRED)]
    assert transfer.origin_enrollment.status == Enrollment.Status.CLOSED
    assert transfer.origin_account.status == PersonalAccount.Status.CLOSED
    assert set(Deadline.objects.filter(case=transfer.case).values_list("status", flat=True)) == {
        Deadline.Status.MET
    }


def test_every_step_writes_its_history_and_tells_the_people_concerned(
    transfer, origin_clerk, destination_clerk
):
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)
    services.transfer_in(case=transfer.case, by=destination_clerk)
    services.transfer_credit(case=transfer.case, by=destination_clerk, received_amount="1000.00")

    actions = list(transfer.case.events.exclude(to_state="").values_list("action", flat=True))
    assert actions == ["filed", "accept", "transfer_out", "transfer_in", "credit"]
    sms = Notification.objects.filter(case=transfer.case, channel=Notification.Channel.SMS)
    assert sms.count() == 4  # received, accepted, transferred out, completed
    inbox = Notification.objects.filter(case=transfer.case, recipient=destination_clerk)
    assert inbox.filter(channel=Notification.Channel.INBOX).count() == 1  # the table arrived


def test_transfer_out_starts_the_destination_clock_and_meets_the_origin_one(transfer, origin_clerk):
    services.transfer_accept(case=transfer.case, by=origin_clerk)

    services.transfer_out(case=transfer.case, by=origin_clerk)

    steps = dict(Deadline.objects.filter(case=transfer.case).values_list("step", "status"))
    assert steps == {
        "intake": Deadline.Status.MET,
        "transfer_origin": Deadline.Status.MET,
        "transfer_total": Deadline.Status.OPEN,
        "transfer_destination": Deadline.Status.OPEN,
    }


def test_the_destination_cannot_skip_the_transfer_out(transfer, origin_clerk, destination_clerk):
    services.transfer_accept(case=transfer.case, by=origin_clerk)

    with pytest.raises(CaseError) as refused:
        services.transfer_in(case=transfer.case, by=destination_clerk)

    assert refused.value.code == "wrong_state"


@pytest.mark.parametrize("received", ["1e30", "NaN", "Infinity", "-1.00", "12.345", "abc", ""])
def test_a_received_amount_that_is_not_money_is_refused_with_a_message(
    transfer, origin_clerk, destination_clerk, received
):
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)
    services.transfer_in(case=transfer.case, by=destination_clerk)

    with pytest.raises(CaseError) as refused:
        services.transfer_credit(case=transfer.case, by=destination_clerk, received_amount=received)

    assert refused.value.code == "amount_invalid"
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.TRANSFERRED_IN


def test_nothing_received_is_an_amount_that_goes_to_reconciliation(
    transfer, origin_clerk, destination_clerk
):
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)
    services.transfer_in(case=transfer.case, by=destination_clerk)

    services.transfer_credit(case=transfer.case, by=destination_clerk, received_amount="0")

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.RECONCILIATION
    assert transfer.mismatch.received_amount == Decimal("0.00")


def test_an_applicant_applies_online_with_both_id_card_photos(places, django_user_model):
    person = mover(places.dongguan, places.changde)
    user = django_user_model.objects.create(username="me", person=person)

    transfer = services.transfer_apply(
        person=person,
        origin_agency=places.dongguan,
        destination_agency=places.changde,
        transfer_type=TransferType.EMPLOYEE,
        contact_phone="13800000000",
        by=user,
        id_card_front=photo("front.png"),
        id_card_back=photo("back.png"),
    )

    assert transfer.case.channel == "online"
    assert transfer.case.applicant == user
    assert sorted(transfer.case.documents.values_list("kind", flat=True)) == [
        "id_card_back",
        "id_card_front",
    ]


def test_an_online_application_without_photos_is_refused(places, django_user_model):
    person = mover(places.dongguan, places.changde)
    user = django_user_model.objects.create(username="me", person=person)

    with pytest.raises(CaseError) as refused:
        services.transfer_apply(
            person=person,
            origin_agency=places.dongguan,
            destination_agency=places.changde,
            transfer_type=TransferType.EMPLOYEE,
            contact_phone="13800000000",
            by=user,
        )

    assert refused.value.code == "id_photos"
    assert not Transfer.objects.exists()


def test_a_second_open_transfer_for_the_same_person_is_refused(places, transfer):
    with pytest.raises(CaseError) as refused:
        window_transfer(transfer.case.person, places.dongguan, places.guangzhou)

    assert refused.value.code == "duplicate"


def test_a_resident_transfer_moves_no_money_and_completes_at_transfer_in(
    places, origin_clerk, destination_clerk
):
    from tests.accounts.factories import EnrollmentFactory, InsuredPersonFactory

    person = InsuredPersonFactory()
    EnrollmentFactory(
        person=person, region=places.dongguan.region, scheme="resident", status="stopped"
    )
    EnrollmentFactory(person=person, region=places.changde.region, scheme="resident")
    transfer = window_transfer(
        person, places.dongguan, places.changde, transfer_type=TransferType.RESIDENT
    )
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)

    services.transfer_in(case=transfer.case, by=destination_clerk)

    transfer.refresh_from_db()
    assert transfer.money_mode == MoneyMode.NONE
    assert transfer.state == Transfer.State.COMPLETED
    assert not LedgerEntry.objects.filter(account__person=person).exists()
