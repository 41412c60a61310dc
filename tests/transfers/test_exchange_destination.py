"""The destination's end of a transfer from an agency of another deployment: the application
filed here and forwarded, the origin's decision, sealed 信息表 and balance applied as they come,
the import refusing a table altered after sealing, and the books of this end."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import ClearingAccount
from accounts.selectors import clearing_balances, ledger_differences, ledger_total
from cases.errors import CaseError
from cases.models import Deadline, DeadlineStep
from tests.accounts.factories import (
    EnrollmentFactory,
    InsuredPersonFactory,
    UserFactory,
    staff_user,
)
from tests.transfers.exchange_helpers import envelope, make_peer, post
from tests.transfers.factories import mover, photo
from transfers import services
from transfers.exchange.models import MessageKind, OutboundMessage
from transfers.exchange.money import in_transit_differences
from transfers.models import Transfer
from transfers.seal import seal

pytestmark = pytest.mark.django_db


@pytest.fixture
def remote(places):
    """常德 is this deployment's; 东莞 runs its own system."""
    make_peer(places.dongguan)
    return places


@pytest.fixture
def filed(remote):
    person = mover(remote.dongguan, remote.changde)
    clerk = staff_user("clerk", remote.changde)
    return services.transfer_apply(
        person=person,
        origin_agency=remote.dongguan,
        destination_agency=remote.changde,
        transfer_type="employee",
        contact_phone="13900000000",
        by=clerk,
    )


def _table(transfer: Transfer, origin, *, balance: str = "1000.00") -> dict[str, object]:
    content = {
        "reference": transfer.case.reference,
        "origin": {"agency_code": origin.code, "agency_name": origin.name},
        "balance": balance,
        "individual_part": "800.00",
        "employer_part": "200.00",
        "contribution_months": 96,
    }
    sealed = seal(content, agency=origin)
    return {
        "content": content,
        "signature": sealed.signature,
        "key_id": sealed.key_id,
        "algorithm": sealed.algorithm,
        "money_mode": "move",
        "on": "2026-12-03",
    }


def _from_origin(client, remote, transfer, kind, body, depends_on=None):
    message = envelope(
        kind=kind,
        reference=transfer.case.reference,
        sender=remote.dongguan,
        recipient=remote.changde,
        body=body,
        depends_on=depends_on,
    )
    return message, post(client, message)


def _clearing(remote) -> Decimal:
    account = ClearingAccount.objects.get(
        region=remote.changde.region, kind="in_transit", peer=remote.dongguan.region
    )
    return clearing_balances()[account.pk]


def _sent_out(client, remote, transfer, table_body):
    accepted, _ = _from_origin(client, remote, transfer, "accepted", {"on": "2026-12-02"})
    table, _ = _from_origin(client, remote, transfer, "info_table", table_body, accepted["id"])
    _from_origin(
        client,
        remote,
        transfer,
        "balance_sent",
        {"amount": "1000.00", "payment_reference": "p-1"},
        table["id"],
    )


def test_the_application_filed_here_is_forwarded_to_the_origin(filed):
    message = OutboundMessage.objects.get()

    assert message.kind == MessageKind.APPLICATION
    assert message.envelope["recipient"] == "441900-01"
    assert message.envelope["body"]["person"]["id_number"] == filed.case.person.id_number


def test_the_balance_before_the_table_waits_and_the_money_is_booked_once(client, remote, filed):
    accepted, _ = _from_origin(client, remote, filed, "accepted", {"on": "2026-12-02"})
    table_body = _table(filed, remote.dongguan)
    table = envelope(
        kind="info_table",
        reference=filed.case.reference,
        sender=remote.dongguan,
        recipient=remote.changde,
        body=table_body,
        depends_on=accepted["id"],
    )
    balance, early = _from_origin(
        client,
        remote,
        filed,
        "balance_sent",
        {"amount": "1000.00", "payment_reference": "p-1"},
        table["id"],
    )

    later = post(client, table)
    again = post(client, balance)

    filed.refresh_from_db()
    assert early[1]["status"] == "waiting"
    assert later[1]["status"] == "accepted"
    assert again[1]["status"] == "duplicate"
    assert filed.state == Transfer.State.TRANSFERRED_OUT
    assert filed.amount_in_transit == Decimal("1000.00")
    assert _clearing(remote) == Decimal("1000.00")
    assert in_transit_differences() == {}
    assert Deadline.objects.filter(
        case=filed.case, step=DeadlineStep.TRANSFER_DESTINATION, status="open"
    ).exists()


def test_transfer_in_and_credit_here_answer_the_origin_and_clear_the_money(client, remote, filed):
    _sent_out(client, remote, filed, _table(filed, remote.dongguan))
    clerk = staff_user("clerk", remote.changde)

    services.transfer_in(case=filed.case, by=clerk)
    services.transfer_credit(case=filed.case, by=clerk, received_amount="1000.00")

    filed.refresh_from_db()
    sent = [m.kind for m in OutboundMessage.objects.order_by("sequence")]
    assert sent == ["application", "transferred_in", "credited"]
    assert filed.state == Transfer.State.COMPLETED
    assert filed.destination_account.balance == Decimal("1000.00")
    assert _clearing(remote) == 0
    assert in_transit_differences() == {}
    assert ledger_total() == 0
    assert ledger_differences() == []


def test_a_table_altered_after_sealing_is_refused_at_import(client, remote, filed):
    body = _table(filed, remote.dongguan)
    body["content"] = {**body["content"], "contribution_months": 200}
    _sent_out(client, remote, filed, body)
    clerk = staff_user("clerk", remote.changde)

    with pytest.raises(CaseError) as refused:
        services.transfer_in(case=filed.case, by=clerk)

    filed.refresh_from_db()
    assert refused.value.code == "seal_invalid"
    assert filed.state == Transfer.State.TRANSFERRED_OUT


def test_the_credit_waits_for_the_balance_sent_message(client, remote, filed):
    accepted, _ = _from_origin(client, remote, filed, "accepted", {"on": "2026-12-02"})
    _from_origin(
        client, remote, filed, "info_table", _table(filed, remote.dongguan), accepted["id"]
    )
    clerk = staff_user("clerk", remote.changde)
    services.transfer_in(case=filed.case, by=clerk)

    with pytest.raises(CaseError) as refused:
        services.transfer_credit(case=filed.case, by=clerk, received_amount="1000.00")

    assert refused.value.code == "balance_not_arrived"


def test_the_clearing_report_shows_the_money_received_from_the_peer_as_in_transit(
    client, remote, filed
):
    from audit.clearing import clearing_findings, clearing_report

    _sent_out(client, remote, filed, _table(filed, remote.dongguan))

    lines = [
        line
        for line in clearing_report(agency=remote.changde)
        if line.key[1] == "in_transit" and line.key[2] == remote.dongguan.region_id
    ]
    assert [(line.balance, line.items_total) for line in lines] == [
        (Decimal("1000.00"), Decimal("1000.00"))
    ]
    assert clearing_findings(agency=remote.changde) == []


def _applicant_here(remote, *, enrolled_here: bool = True):
    """An applicant of this deployment: their enrollment at the origin lives in the origin's
    system, so this database knows only their destination enrollment (if any)."""
    person = InsuredPersonFactory()
    if enrolled_here:
        EnrollmentFactory(person=person, region=remote.changde.region)
    return person, UserFactory(person=person, mobile=person.phone)


def _apply_online(remote, person, user):
    return services.transfer_apply(
        person=person,
        origin_agency=remote.dongguan,
        destination_agency=remote.changde,
        transfer_type="employee",
        contact_phone="13900000000",
        by=user,
        id_card_front=photo(),
        id_card_back=photo(),
    )


def test_the_applicant_online_is_checked_here_only_for_what_this_end_decides(remote):
    person, user = _applicant_here(remote)

    filed = _apply_online(remote, person, user)

    assert OutboundMessage.objects.get().kind == MessageKind.APPLICATION
    # The origin's clock is the origin's own (started when the application reaches it).
    assert not Deadline.objects.filter(case=filed.case, step=DeadlineStep.INTAKE).exists()


def test_the_applicant_online_not_enrolled_here_is_told_before_filing(remote):
    person, user = _applicant_here(remote, enrolled_here=False)

    with pytest.raises(CaseError) as refused:
        _apply_online(remote, person, user)

    assert refused.value.code == "precheck"
    assert len(refused.value.reasons) == 1
    assert not OutboundMessage.objects.exists()


def test_the_destinations_staff_page_lists_no_reason_only_the_origin_can_see(remote):
    from transfers.selectors import check_messages

    person, _user = _applicant_here(remote)  # no origin enrollment or account in this database
    filed = services.transfer_apply(
        person=person,
        origin_agency=remote.dongguan,
        destination_agency=remote.changde,
        transfer_type="employee",
        contact_phone="13900000000",
        by=staff_user("clerk", remote.changde),
    )

    assert check_messages(filed) == []
