"""Transfers while the origin account is frozen: not accepted, not transferred out."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.freezes.models import FreezeKind
from accounts.freezes.services import account_freeze
from accounts.models import PersonalAccount
from cases.errors import CaseError
from tests.accounts.factories import staff_user
from tests.transfers.factories import mover, window_transfer
from tests.withdrawals.factories import upload
from transfers import services
from transfers.models import Transfer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _freeze(places, person):
    return account_freeze(
        account=PersonalAccount.objects.get(person=person, enrollment__region__code="441900"),
        kind=FreezeKind.JUDICIAL,
        reason="court order",
        document=upload(),
        by=staff_user("supervisor", places.dongguan),
    )


def test_a_frozen_origin_account_is_not_accepted_and_the_kind_is_given(places, origin_clerk):
    person = mover(places.dongguan, places.changde)
    _freeze(places, person)
    transfer = window_transfer(person, places.dongguan, places.changde)

    with pytest.raises(CaseError) as refused:
        services.transfer_accept(case=transfer.case, by=origin_clerk)

    assert refused.value.code == "check_failed"
    # Told to the clerk, about the applicant (the applicant's notice says "your").
    assert refused.value.reasons == ["The personal account in 东莞市 is frozen: Judicial freeze."]


def test_a_freeze_after_acceptance_stops_the_transfer_out(places, origin_clerk):
    person = mover(places.dongguan, places.changde)
    transfer = window_transfer(person, places.dongguan, places.changde)
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    _freeze(places, person)

    with pytest.raises(CaseError) as refused:
        services.transfer_out(case=transfer.case, by=origin_clerk)

    transfer.refresh_from_db()
    assert refused.value.code == "account_frozen"
    assert "Judicial freeze" in refused.value.message
    assert transfer.state == Transfer.State.ACCEPTED
