"""The clearing report of an agency: each clearing balance equals the open items that make it
up (money in transit per peer fund, payouts the bank has not confirmed), and a difference is a
finding. Its page is for the agency's supervisors and auditors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import ClearingAccount, LedgerTransaction
from audit.clearing import clearing_findings, clearing_report
from tests.accounts.factories import staff_user
from tests.transfers.factories import mover, window_transfer
from transfers import services
from transfers.choices import PayoutReason
from transfers.models import Transfer

pytestmark = pytest.mark.django_db

Kind = ClearingAccount.Kind


def _out(transfer: Transfer, origin) -> Transfer:
    clerk = staff_user("clerk", origin)
    services.transfer_accept(case=transfer.case, by=clerk)
    services.transfer_out(case=transfer.case, by=clerk)
    transfer.refresh_from_db()
    return transfer


def _lines(agency) -> dict[tuple[str, str | None], tuple[Decimal, Decimal, int]]:
    return {
        (line.key[1], line.key[2]): (line.balance, line.items_total, len(line.items))
        for line in clearing_report(agency=agency)
        if line.reconciled
    }


@pytest.fixture
def sent_and_paid(places):
    """Two transfers from 东莞 on their way to 常德 and one to 广州, and a retiree's balance
    paid to their bank account."""
    for destination in (places.changde, places.changde, places.guangzhou):
        _out(
            window_transfer(mover(places.dongguan, destination), places.dongguan, destination),
            places.dongguan,
        )
    retiree = mover(places.dongguan, places.changde)
    bank = {"bank_name": "中国银行", "number": "6217000000000000", "holder": retiree.name}
    paid = window_transfer(
        retiree,
        places.dongguan,
        places.changde,
        payout_reason=PayoutReason.RELOCATED_RETIREE,
        bank=bank,
    )
    return _out(paid, places.dongguan)


def test_each_clearing_balance_equals_its_open_items_per_peer(places, sent_and_paid):
    lines = _lines(places.dongguan)

    assert lines[(Kind.IN_TRANSIT, "430700")] == (Decimal("2000.00"), Decimal("2000.00"), 2)
    assert lines[(Kind.IN_TRANSIT, "440100")] == (Decimal("1000.00"), Decimal("1000.00"), 1)
    assert lines[(Kind.BANK_PAYOUT, None)] == (Decimal("1000.00"), Decimal("1000.00"), 1)
    assert clearing_findings(agency=places.dongguan) == []


def test_the_bank_confirmation_empties_the_payout_clearing(places, sent_and_paid):
    payout = sent_and_paid.payout.ledger_transaction

    call_command("confirm_bank_payouts", str(payout.pk), stdout=None)
    call_command("confirm_bank_payouts", str(payout.pk), stdout=None)  # a retry: once

    assert _lines(places.dongguan)[(Kind.BANK_PAYOUT, None)] == (Decimal("0.00"), Decimal("0"), 0)
    assert LedgerTransaction.objects.filter(settles=payout).count() == 1


def test_a_credit_at_the_destination_empties_its_line_of_the_origin(places, sent_and_paid):
    moving = Transfer.objects.filter(destination_region=places.guangzhou.region).get()
    clerk = staff_user("clerk", places.guangzhou)
    services.transfer_in(case=moving.case, by=clerk)
    services.transfer_credit(case=moving.case, by=clerk, received_amount=Decimal("1000.00"))

    assert _lines(places.dongguan)[(Kind.IN_TRANSIT, "440100")] == (
        Decimal("0.00"),
        Decimal("0"),
        0,
    )
    assert clearing_findings(agency=places.dongguan) == []


def test_money_in_transit_that_no_case_accounts_for_is_a_finding(places, sent_and_paid):
    # The row forgets the money it says is travelling: the clearing still holds it.
    Transfer.objects.filter(destination_region=places.guangzhou.region).update(
        amount_in_transit=Decimal("0.00")
    )

    findings = clearing_findings(agency=places.dongguan)

    assert [(f.key[1], f.key[2], f.difference) for f in findings] == [
        (Kind.IN_TRANSIT, "440100", Decimal("1000.00"))
    ]


def test_the_page_shows_the_report_to_a_supervisor_and_not_to_a_clerk(
    client, places, sent_and_paid
):
    url = reverse("audit:clearing")
    client.force_login(staff_user("supervisor", places.dongguan))
    shown = client.get(url)
    client.force_login(staff_user("clerk", places.dongguan))
    refused = client.get(url)

    assert shown.status_code == 200
    assert "no-findings" in shown.content.decode()
    assert shown.content.decode().count("clearing-line") >= 3
    assert refused.status_code == 404
