"""The origin's end of a transfer to an agency of another deployment: the application the
destination forwards, the origin's steps as messages, and the destination's answers applied
exactly once and in order, with the origin's books equal to the money in transit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import ClearingAccount, Enrollment, PersonalAccount
from accounts.selectors import clearing_balances, ledger_differences, ledger_total
from cases.errors import CaseError
from cases.models import Case, CaseEvent, Deadline, DeadlineStep
from tests.accounts.factories import staff_user
from tests.transfers.exchange_helpers import envelope, make_peer, post
from tests.transfers.factories import mover
from transfers import services
from transfers.exchange.envelope import check_seal
from transfers.exchange.models import InboundMessage, MessageKind, OutboundMessage
from transfers.exchange.money import in_transit_differences
from transfers.models import Transfer

pytestmark = pytest.mark.django_db

REFERENCE = "ZY2026120400000001"


@pytest.fixture
def remote(places):
    """东莞 is this deployment's; 常德 runs its own system."""
    make_peer(places.changde)
    return places


@pytest.fixture
def application(client, remote):
    person = mover(remote.dongguan, remote.changde)
    message = envelope(
        kind=MessageKind.APPLICATION,
        reference=REFERENCE,
        sender=remote.changde,
        recipient=remote.dongguan,
        body={
            "person": {"name": person.name, "id_number": person.id_number},
            "transfer_type": "employee",
            "origin_region": remote.dongguan.region_id,
            "destination_region": remote.changde.region_id,
            "contact_phone": "13900000000",
            "channel": "window",
            "applied_on": "2026-12-01",
            "payout_reason": "",
            "bank": {},
        },
    )
    return message


def _in_transit_clearing(places) -> Decimal:
    account = ClearingAccount.objects.get(
        region=places.dongguan.region, kind="in_transit", peer=places.changde.region
    )
    return clearing_balances()[account.pk]


def test_the_forwarded_application_is_filed_once_under_the_destinations_reference(
    client, application
):
    first = post(client, application)
    again = post(client, application)

    assert first == (200, {"status": "accepted", "reason": ""})
    assert again == (200, {"status": "duplicate", "reason": ""})
    case = Case.objects.get(reference=REFERENCE)
    assert case.state == Transfer.State.APPLIED
    assert InboundMessage.objects.filter(status="applied").count() == 1
    assert case.events.get(action="filed").actor_label.startswith("常德医保")


def test_a_message_whose_seal_does_not_hold_is_refused_and_shown_on_the_exchange_page(
    client, remote, application
):
    tampered = {**application, "body": {**application["body"], "contact_phone": "13000000000"}}
    supervisor = staff_user("supervisor", remote.dongguan)

    status, answer = post(client, tampered)
    client.force_login(supervisor)
    page = client.get("/transfers/exchange/").content.decode()

    assert status == 403
    assert answer["status"] == "refused"
    assert not Case.objects.filter(reference=REFERENCE).exists()
    assert InboundMessage.objects.get().status == "refused"
    assert "altered" in page or "篡改" in page or answer["reason"] in page


def test_the_origins_steps_go_out_sealed_and_in_order(client, remote, application):
    post(client, application)
    case = Case.objects.get(reference=REFERENCE)
    clerk = staff_user("clerk", remote.dongguan)

    services.transfer_accept(case=case, by=clerk)
    services.transfer_out(case=case, by=clerk)

    sent = list(OutboundMessage.objects.order_by("sequence"))
    assert [m.kind for m in sent] == ["accepted", "info_table", "balance_sent"]
    assert [m.envelope["depends_on"] for m in sent] == [None, str(sent[0].id), str(sent[1].id)]
    for message in sent:
        check_seal(message.envelope)
    assert sent[2].envelope["body"]["amount"] == "1000.00"
    assert _in_transit_clearing(remote) == Decimal("1000.00")
    assert in_transit_differences() == {}


def test_the_destinations_answers_in_reverse_order_complete_the_transfer_once(
    client, remote, application
):
    post(client, application)
    case = Case.objects.get(reference=REFERENCE)
    clerk = staff_user("clerk", remote.dongguan)
    services.transfer_accept(case=case, by=clerk)
    services.transfer_out(case=case, by=clerk)
    arrived = envelope(
        kind=MessageKind.TRANSFERRED_IN,
        reference=REFERENCE,
        sender=remote.changde,
        recipient=remote.dongguan,
        body={"on": "2026-12-08", "completed": False},
        depends_on=application["id"],
    )
    credited = envelope(
        kind=MessageKind.CREDITED,
        reference=REFERENCE,
        sender=remote.changde,
        recipient=remote.dongguan,
        body={"amount": "1000.00", "on": "2026-12-08"},
        depends_on=arrived["id"],
    )

    early = post(client, credited)
    case.refresh_from_db()
    state_while_waiting = case.state
    on_time = post(client, arrived)
    twice = post(client, credited)

    case.refresh_from_db()
    transfer = Transfer.objects.get(pk=case.pk)
    assert early[0] == 202
    assert early[1]["status"] == "waiting"
    assert state_while_waiting == Transfer.State.TRANSFERRED_OUT
    assert on_time == (200, {"status": "accepted", "reason": ""})
    assert twice[1]["status"] == "duplicate"
    assert case.state == Transfer.State.COMPLETED
    assert transfer.amount_in_transit == 0
    assert _in_transit_clearing(remote) == 0
    assert in_transit_differences() == {}
    assert transfer.origin_enrollment.status == Enrollment.Status.CLOSED
    assert PersonalAccount.objects.get(pk=transfer.origin_account_id).status == "closed"
    assert ledger_total() == 0
    assert ledger_differences() == []
    peer_steps = CaseEvent.objects.filter(case=case, actor_label__startswith="常德医保")
    assert {e.action for e in peer_steps} >= {"filed", "transfer_in", "credit"}


def test_a_destination_that_stays_silent_is_watched_by_the_origins_own_clock(
    client, remote, application
):
    post(client, application)
    case = Case.objects.get(reference=REFERENCE)
    clerk = staff_user("clerk", remote.dongguan)

    services.transfer_accept(case=case, by=clerk)
    services.transfer_out(case=case, by=clerk)

    open_steps = set(
        Deadline.objects.filter(case=case, status="open").values_list("step", flat=True)
    )
    assert DeadlineStep.TRANSFER_DESTINATION in open_steps


def test_a_message_that_does_not_fit_the_case_is_refused_with_its_reason(
    client, remote, application
):
    post(client, application)
    credited = envelope(
        kind=MessageKind.CREDITED,
        reference=REFERENCE,
        sender=remote.changde,
        recipient=remote.dongguan,
        body={"amount": "1000.00", "on": "2026-12-08"},
        depends_on=application["id"],
    )

    status, answer = post(client, credited)

    assert status == 422
    assert answer["status"] == "refused"
    assert Case.objects.get(reference=REFERENCE).state == Transfer.State.APPLIED


def test_the_origin_refuses_an_application_for_a_remote_destination_filed_here(remote):
    person = mover(remote.dongguan, remote.changde)
    clerk = staff_user("clerk", remote.dongguan)

    with pytest.raises(CaseError) as refused:
        services.transfer_apply(
            person=person,
            origin_agency=remote.dongguan,
            destination_agency=remote.changde,
            transfer_type="employee",
            contact_phone="13900000000",
            by=clerk,
        )

    assert refused.value.code == "file_at_destination"
    assert not OutboundMessage.objects.exists()


def test_the_forwarded_application_starts_the_origins_own_intake_clock_from_receipt(
    client, remote, application
):
    post(client, application)
    case = Case.objects.get(reference=REFERENCE)
    intake = Deadline.objects.get(case=case, step=DeadlineStep.INTAKE)

    services.transfer_accept(case=case, by=staff_user("clerk", remote.dongguan))

    intake.refresh_from_db()
    # Counted from the day it arrived here, not from the day it was filed at the destination.
    assert intake.started_on == timezone.localdate()
    assert str(intake.started_on) != application["body"]["applied_on"]
    assert intake.status != "open"
    assert Deadline.objects.filter(
        case=case, step=DeadlineStep.TRANSFER_ORIGIN, status="open"
    ).exists()
