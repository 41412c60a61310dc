"""校验 → 受理 or 不予受理, with every reason at once (一次性告知)."""

from __future__ import annotations

import pytest

from accounts.models import Enrollment, PersonalAccount
from cases.errors import CaseError
from cases.models import Notification
from tests.accounts.factories import InsuredPersonFactory
from tests.transfers.factories import mover, window_transfer
from transfers import services
from transfers.choices import RefusalReason, TransferType
from transfers.models import Transfer

pytestmark = pytest.mark.django_db


def test_a_person_who_meets_every_rule_is_accepted(places, origin_clerk):
    transfer = window_transfer(
        mover(places.dongguan, places.changde), places.dongguan, places.changde
    )

    services.transfer_accept(case=transfer.case, by=origin_clerk)

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.ACCEPTED
    assert transfer.case.state == "accepted"
    assert transfer.origin_account is not None
    assert transfer.destination_enrollment.region_id == "430700"


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ({"origin_status": Enrollment.Status.ACTIVE}, RefusalReason.ORIGIN_NOT_STOPPED),
        ({"in_arrears": True}, RefusalReason.ORIGIN_IN_ARREARS),
    ],
)
def test_each_origin_rule_refuses_on_its_own(places, origin_clerk, setup, code):
    transfer = window_transfer(
        mover(places.dongguan, places.changde, **setup), places.dongguan, places.changde
    )

    services.transfer_refuse(case=transfer.case, by=origin_clerk)

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.REFUSED
    assert code in transfer.refusal_codes


def test_a_destination_enrollment_that_is_not_active_refuses(places, origin_clerk):
    person = mover(places.dongguan, places.changde)
    Enrollment.objects.filter(person=person, region=places.changde.region).update(
        status=Enrollment.Status.STOPPED
    )
    transfer = window_transfer(person, places.dongguan, places.changde)

    services.transfer_refuse(case=transfer.case, by=origin_clerk)

    transfer.refresh_from_db()
    assert transfer.refusal_codes == [RefusalReason.DESTINATION_NOT_ACTIVE]


def test_a_frozen_origin_account_refuses(places, origin_clerk):
    person = mover(places.dongguan, places.changde)
    PersonalAccount.objects.filter(person=person).update(status=PersonalAccount.Status.FROZEN)
    transfer = window_transfer(person, places.dongguan, places.changde)

    with pytest.raises(CaseError) as refused:
        services.transfer_accept(case=transfer.case, by=origin_clerk)

    assert refused.value.code == "check_failed"
    assert len(refused.value.reasons) == 1
    assert "冻结" in refused.value.reasons[0]


def test_origin_equal_to_destination_refuses(places, origin_clerk):
    transfer = window_transfer(
        mover(places.dongguan, places.changde), places.dongguan, places.dongguan
    )

    services.transfer_refuse(case=transfer.case, by=origin_clerk)

    transfer.refresh_from_db()
    assert RefusalReason.SAME_AREA in transfer.refusal_codes


def test_a_refusal_gives_all_reasons_at_once_and_tells_the_applicant(places, origin_clerk):
    person = InsuredPersonFactory()
    mover(places.dongguan, places.dongguan, origin_status="active", in_arrears=True, person=person)
    PersonalAccount.objects.filter(person=person).update(status=PersonalAccount.Status.FROZEN)
    # Employee to resident in the same area: the active employee enrollment at the origin
    # is not the resident enrollment the destination needs.
    transfer = window_transfer(
        person,
        places.dongguan,
        places.dongguan,
        transfer_type=TransferType.EMPLOYEE_TO_RESIDENT,
        bank={"bank_name": "工商银行", "number": "6222020200000000", "holder": person.name},
    )

    with pytest.raises(CaseError) as not_accepted:
        services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_refuse(case=transfer.case, by=origin_clerk, note="证件照片不清晰")

    transfer.refresh_from_db()
    assert len(not_accepted.value.reasons) == 5
    assert transfer.refusal_codes == [
        RefusalReason.ORIGIN_NOT_STOPPED,
        RefusalReason.DESTINATION_NOT_ACTIVE,
        RefusalReason.ORIGIN_IN_ARREARS,
        RefusalReason.ORIGIN_ACCOUNT_FROZEN,
        RefusalReason.SAME_AREA,
        RefusalReason.OTHER,
    ]
    sms = Notification.objects.filter(case=transfer.case, channel=Notification.Channel.SMS).first()
    assert sms.body.count("\n") == 6
    assert "证件照片不清晰" in sms.body
    assert transfer.case.closed_at is not None


def test_a_clerk_cannot_refuse_without_any_reason(places, origin_clerk):
    transfer = window_transfer(
        mover(places.dongguan, places.changde), places.dongguan, places.changde
    )

    with pytest.raises(CaseError) as refused:
        services.transfer_refuse(case=transfer.case, by=origin_clerk)

    assert refused.value.code == "no_reason"


def test_only_the_origin_agency_accepts(places, destination_clerk):
    transfer = window_transfer(
        mover(places.dongguan, places.changde), places.dongguan, places.changde
    )

    with pytest.raises(CaseError) as refused:
        services.transfer_accept(case=transfer.case, by=destination_clerk)

    assert refused.value.code == "forbidden"
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.APPLIED
