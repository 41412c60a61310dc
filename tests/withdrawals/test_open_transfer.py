"""A balance is either withdrawn or transferred: while one case is open on a person, the other
is refused by its service, whoever files it (applicant, clerk, admin action or task)."""

from __future__ import annotations

import pytest

from accounts.choices import WithdrawalGround
from accounts.models import PersonalAccount
from cases.errors import CaseError
from tests.accounts.factories import staff_user
from tests.transfers.factories import mover, window_transfer, world
from tests.withdrawals.factories import application_for, documents_for, submit
from transfers import services as transfer_services
from withdrawals.services import withdrawal_refuse, withdrawal_submit

pytestmark = pytest.mark.django_db

GROUND = WithdrawalGround.LEAVING_SCHEME


def _origin_account(person) -> PersonalAccount:
    return PersonalAccount.objects.get(person=person, enrollment__region__code="441900")


def test_a_withdrawal_is_refused_while_a_transfer_of_the_person_is_open():
    places = world()
    person = mover(places.dongguan, places.changde)
    window_transfer(person, places.dongguan, places.changde)
    account = _origin_account(person)

    with pytest.raises(CaseError) as caught:
        withdrawal_submit(
            account=account,
            application=application_for(account, GROUND),
            documents=documents_for(GROUND),
            by=None,
        )

    assert (
        "This person has a transfer in progress; the balance cannot be withdrawn until the "
        "transfer is completed or cancelled."
    ) in caught.value.reasons


def test_a_withdrawal_is_accepted_once_the_transfer_is_cancelled():
    places = world()
    person = mover(places.dongguan, places.changde)
    transfer = window_transfer(person, places.dongguan, places.changde)
    transfer_services.transfer_refuse(
        case=transfer.case, by=staff_user("clerk", places.dongguan), note="申请人撤回"
    )
    account = _origin_account(person)

    withdrawal = submit(account, GROUND)

    assert withdrawal.pk is not None


def test_a_transfer_is_refused_while_a_withdrawal_of_the_person_is_open():
    places = world()
    person = mover(places.dongguan, places.changde)
    submit(_origin_account(person), GROUND)

    with pytest.raises(CaseError) as caught:
        window_transfer(person, places.dongguan, places.changde)

    assert caught.value.message == (
        "This person has a withdrawal of the personal account balance in progress; a transfer "
        "cannot be applied for until it is completed or cancelled."
    )


def test_a_transfer_is_accepted_once_the_withdrawal_is_cancelled():
    places = world()
    person = mover(places.dongguan, places.changde)
    withdrawal = submit(_origin_account(person), GROUND)
    withdrawal_refuse(
        withdrawal=withdrawal, by=staff_user("clerk", places.dongguan), reasons=["申请人撤回"]
    )

    transfer = window_transfer(person, places.dongguan, places.changde)

    assert transfer.pk is not None
