"""The other roads: the portable province, the bank payout, reconciliation of a credit
that does not match, a tampered 信息表, and cancellation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import LedgerEntry, LedgerTransaction, PersonalAccount, RegionPolicy
from cases.errors import CaseError
from tests.accounts.factories import InsuredPersonFactory, UserFactory, staff_user
from tests.transfers.factories import balances, mover, window_transfer
from transfers import services
from transfers.choices import MoneyMode, PayoutReason, TransferType
from transfers.models import CreditMismatch, Transfer
from transfers.selectors import balance_split

pytestmark = pytest.mark.django_db

BANK = {"bank_name": "中国银行", "number": "6217000000000000", "holder": ""}


def _out(transfer, origin):
    clerk = staff_user("clerk", origin)
    services.transfer_accept(case=transfer.case, by=clerk)
    services.transfer_out(case=transfer.case, by=clerk)
    transfer.refresh_from_db()
    return transfer


def test_a_portable_province_moves_the_relationship_and_no_money(places):
    RegionPolicy.objects.create(region_id="440000", balance_portable_in_province=True)
    person = mover(places.dongguan, places.guangzhou)
    account = PersonalAccount.objects.get(person=person)
    entries = LedgerEntry.objects.count()
    transfer = _out(window_transfer(person, places.dongguan, places.guangzhou), places.dongguan)

    services.transfer_in(case=transfer.case, by=staff_user("clerk", places.guangzhou))

    transfer.refresh_from_db()
    account.refresh_from_db()
    assert transfer.money_mode == MoneyMode.PORTABLE
    assert transfer.state == Transfer.State.COMPLETED
    assert LedgerEntry.objects.count() == entries
    assert account.balance == Decimal("1000.00")
    assert account.status == PersonalAccount.Status.NORMAL
    assert account.enrollment == transfer.destination_enrollment
    assert balances(transfer) == Decimal("1000.00")


def test_a_portable_balance_is_merged_into_the_account_already_open_at_the_destination(places):
    RegionPolicy.objects.create(region_id="440000", balance_portable_in_province=True)
    person = mover(places.dongguan, places.guangzhou, destination_account=True)
    origin = PersonalAccount.objects.get(person=person, enrollment__region=places.dongguan.region)
    transfer = _out(window_transfer(person, places.dongguan, places.guangzhou), places.dongguan)

    services.transfer_in(case=transfer.case, by=staff_user("clerk", places.guangzhou))

    transfer.refresh_from_db()
    origin.refresh_from_db()
    kept = PersonalAccount.objects.get(pk=transfer.destination_account_id)
    assert transfer.state == Transfer.State.COMPLETED
    assert kept.pk != origin.pk
    # One person, one open account, holding everything, with its split preserved.
    assert list(
        PersonalAccount.objects.filter(person=person)
        .exclude(status=PersonalAccount.Status.CLOSED)
        .values_list("pk", flat=True)
    ) == [kept.pk]
    assert (origin.balance, origin.status) == (Decimal("0.00"), PersonalAccount.Status.CLOSED)
    assert kept.balance == Decimal("1000.00")
    assert balance_split(kept) == (Decimal("800.00"), Decimal("200.00"))
    merge = LedgerTransaction.objects.get(idempotency_key=f"transfer:{transfer.pk}:merge")
    assert sorted(merge.entries.values_list("account_id", "direction", "amount")) == sorted(
        [
            (origin.pk, "debit", Decimal("800.00")),
            (origin.pk, "debit", Decimal("200.00")),
            (kept.pk, "credit", Decimal("800.00")),
            (kept.pk, "credit", Decimal("200.00")),
        ]
    )
    assert transfer.case.events.filter(action="balance_merged").exists()


def test_without_the_province_policy_an_intra_province_transfer_moves_the_money(places):
    person = mover(places.dongguan, places.guangzhou)

    transfer = _out(window_transfer(person, places.dongguan, places.guangzhou), places.dongguan)

    assert transfer.money_mode == MoneyMode.MOVE
    assert transfer.amount_in_transit == Decimal("1000.00")


def test_a_relocated_retiree_has_the_balance_paid_to_their_own_bank_account(places):
    person = mover(places.dongguan, places.changde)
    bank = {**BANK, "holder": person.name}
    transfer = window_transfer(
        person,
        places.dongguan,
        places.changde,
        payout_reason=PayoutReason.RELOCATED_RETIREE,
        bank=bank,
    )
    start = balances(transfer)

    transfer = _out(transfer, places.dongguan)
    after_out = balances(transfer)
    services.transfer_in(case=transfer.case, by=staff_user("clerk", places.changde))

    transfer.refresh_from_db()
    assert transfer.money_mode == MoneyMode.PAYOUT
    assert transfer.amount_in_transit == 0
    assert transfer.payout.amount == Decimal("1000.00")
    assert transfer.payout.ledger_transaction.kind == LedgerTransaction.Kind.WITHDRAWAL
    assert start == after_out == balances(transfer) == Decimal("1000.00")
    assert transfer.state == Transfer.State.COMPLETED
    assert transfer.destination_account is not None
    assert transfer.destination_account.balance == 0  # no credit at the destination
    assert transfer.origin_account.status == PersonalAccount.Status.CLOSED


def test_a_resident_destination_cannot_take_the_balance_so_it_goes_to_the_bank(places):
    person = mover(places.dongguan, places.changde, destination_scheme="resident")
    transfer = window_transfer(
        person,
        places.dongguan,
        places.changde,
        transfer_type=TransferType.EMPLOYEE_TO_RESIDENT,
        bank={**BANK, "holder": person.name},
    )

    transfer = _out(transfer, places.dongguan)

    assert transfer.payout_reason == PayoutReason.DESTINATION_CANNOT_TAKE
    assert transfer.money_mode == MoneyMode.PAYOUT


def test_a_payout_goes_only_to_an_account_in_the_applicants_own_name(places):
    person = mover(places.dongguan, places.changde)

    with pytest.raises(CaseError) as refused:
        window_transfer(
            person,
            places.dongguan,
            places.changde,
            payout_reason=PayoutReason.RELOCATED_RETIREE,
            bank={**BANK, "holder": "代办人"},
        )

    assert refused.value.code == "payout"


def test_the_retiree_payout_is_only_for_a_cross_province_move(places):
    person = mover(places.dongguan, places.guangzhou)

    with pytest.raises(CaseError) as refused:
        window_transfer(
            person,
            places.dongguan,
            places.guangzhou,
            payout_reason=PayoutReason.RELOCATED_RETIREE,
            bank={**BANK, "holder": person.name},
        )

    assert "跨省" in refused.value.reasons[0]


def test_a_tampered_information_table_is_refused_at_the_destination(places, destination_clerk):
    transfer = _out(
        window_transfer(mover(places.dongguan, places.changde), places.dongguan, places.changde),
        places.dongguan,
    )
    table = transfer.info_table
    table.content["balance"] = "99999.00"
    table.save(update_fields=["content"])

    with pytest.raises(CaseError) as refused:
        services.transfer_in(case=transfer.case, by=destination_clerk)

    assert refused.value.code == "seal_invalid"
    assert "签章" in refused.value.message
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.TRANSFERRED_OUT


def test_a_table_sealed_with_an_unknown_key_is_refused(places, destination_clerk):
    transfer = _out(
        window_transfer(mover(places.dongguan, places.changde), places.dongguan, places.changde),
        places.dongguan,
    )
    transfer.info_table.key_id = "0000000000000000"
    transfer.info_table.save(update_fields=["key_id"])

    with pytest.raises(CaseError) as refused:
        services.transfer_in(case=transfer.case, by=destination_clerk)

    assert refused.value.code == "seal_invalid"


@pytest.fixture
def mismatched(places, destination_clerk):
    transfer = _out(
        window_transfer(mover(places.dongguan, places.changde), places.dongguan, places.changde),
        places.dongguan,
    )
    services.transfer_in(case=transfer.case, by=destination_clerk)
    services.transfer_credit(case=transfer.case, by=destination_clerk, received_amount="990.00")
    transfer.refresh_from_db()
    return transfer


def test_a_credit_that_differs_from_the_table_goes_to_reconciliation(mismatched):
    assert mismatched.state == Transfer.State.RECONCILIATION
    assert mismatched.mismatch.received_amount == Decimal("990.00")
    assert mismatched.mismatch.expected_amount == Decimal("1000.00")
    assert mismatched.amount_in_transit == Decimal("1000.00")
    assert mismatched.destination_account.balance == 0
    assert balances(mismatched) == Decimal("1000.00")


def test_a_supervisor_credits_the_received_amount_with_a_note(mismatched, destination_supervisor):
    services.transfer_reconcile_credit(
        case=mismatched.case, by=destination_supervisor, note="银行手续费10元,与转出地核实"
    )

    mismatched.refresh_from_db()
    assert mismatched.state == Transfer.State.COMPLETED
    assert mismatched.destination_account.balance == Decimal("990.00")
    assert mismatched.amount_in_transit == Decimal("10.00")  # left to settle between funds
    assert balances(mismatched) == Decimal("1000.00")
    assert mismatched.mismatch.resolution == CreditMismatch.Resolution.CREDITED


def test_a_supervisor_returns_the_balance_to_the_origin(mismatched, destination_supervisor):
    services.transfer_reconcile_return(
        case=mismatched.case, by=destination_supervisor, note="金额不符,退回转出地"
    )

    mismatched.refresh_from_db()
    assert mismatched.state == Transfer.State.RETURNED
    assert mismatched.origin_account.balance == Decimal("1000.00")
    assert mismatched.amount_in_transit == 0
    assert balances(mismatched) == Decimal("1000.00")


def test_a_clerk_cannot_resolve_a_reconciliation(mismatched, destination_clerk):
    with pytest.raises(CaseError) as refused:
        services.transfer_reconcile_credit(
            case=mismatched.case, by=destination_clerk, note="看起来没问题"
        )

    assert refused.value.code == "forbidden"


def test_the_applicant_cancels_before_acceptance(places, django_user_model):
    person = mover(places.dongguan, places.changde)
    user = django_user_model.objects.create(username="me", person=person)
    transfer = window_transfer(person, places.dongguan, places.changde)

    services.transfer_cancel(case=transfer.case, by=user)

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.CANCELLED
    assert transfer.case.closed_at is not None


def test_an_accepted_application_can_no_longer_be_cancelled(
    places, origin_clerk, django_user_model
):
    person = mover(places.dongguan, places.changde)
    user = django_user_model.objects.create(username="me", person=person)
    transfer = window_transfer(person, places.dongguan, places.changde)
    services.transfer_accept(case=transfer.case, by=origin_clerk)

    with pytest.raises(CaseError) as refused:
        services.transfer_cancel(case=transfer.case, by=user)

    assert refused.value.code == "accepted"


def test_someone_else_cannot_cancel_the_application(places):
    transfer = window_transfer(
        mover(places.dongguan, places.changde), places.dongguan, places.changde
    )
    stranger = UserFactory(person=InsuredPersonFactory())

    with pytest.raises(CaseError):
        services.transfer_cancel(case=transfer.case, by=stranger)

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.APPLIED
