"""The 信息表's seal at the destination: the origin agency's SM2 key, checked against the
registry; refused when altered, unknown, another agency's or revoked; still good after a
rotation; tables sealed with Ed25519 before keep verifying."""

from __future__ import annotations

import pytest

from cases.errors import CaseError
from seals import sm2
from seals.models import SealKey
from seals.services import seal_key_revoke, seal_key_rotate
from tests.accounts.factories import staff_user
from tests.transfers.factories import mover, window_transfer
from transfers import services
from transfers.models import InfoTable, Transfer
from transfers.seal import canonical
from transfers.seal_legacy import legacy_seal

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(places):
    """A transfer from Dongguan to Changde, out at the origin: its table sealed, on its way."""
    person = mover(places.dongguan, places.changde)
    transfer = window_transfer(person, places.dongguan, places.changde)
    clerk = staff_user("clerk", places.dongguan)
    services.transfer_accept(case=transfer.case, by=clerk)
    services.transfer_out(case=transfer.case, by=clerk)
    transfer.refresh_from_db()
    return transfer


def _refusal(transfer, by) -> CaseError:
    with pytest.raises(CaseError) as refused:
        services.transfer_in(case=transfer.case, by=by)
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.TRANSFERRED_OUT
    return refused.value


def test_the_table_is_sealed_with_the_origin_agencys_sm2_key(sent, places):
    table = sent.info_table
    key = SealKey.objects.get(agency=places.dongguan)

    assert (table.algorithm, table.key_id) == ("SM2-SM3", key.key_id)
    assert table.content["origin"]["agency_code"] == places.dongguan.code
    assert key.can_seal


def test_a_sealed_table_verifies_and_is_imported(sent, destination_clerk):
    services.transfer_in(case=sent.case, by=destination_clerk)

    sent.refresh_from_db()
    assert sent.state != Transfer.State.TRANSFERRED_OUT


def test_an_edited_table_is_refused_as_altered(sent, destination_clerk):
    table = sent.info_table
    table.content["contribution_months"] = 360
    table.save(update_fields=["content"])

    refusal = _refusal(sent, destination_clerk)

    assert refusal.code == "seal_invalid"
    assert "签章后被修改" in refusal.message


def test_a_key_not_in_the_registry_is_refused_by_name(sent, destination_clerk):
    InfoTable.objects.filter(pk=sent.info_table.pk).update(key_id="f" * 32)

    refusal = _refusal(sent, destination_clerk)

    assert "f" * 32 in refusal.message
    assert "登记簿" in refusal.message


def test_a_revoked_key_is_refused_even_for_what_it_sealed_before(sent, destination_clerk, places):
    key = SealKey.objects.get(key_id=sent.info_table.key_id)
    seal_key_revoke(key=key, by=None, reason="private key leaked")

    refusal = _refusal(sent, destination_clerk)

    assert "吊销" in refusal.message


def test_another_agencys_key_does_not_vouch_for_the_origin(sent, destination_clerk, places):
    # A table that says it comes from Dongguan, sealed (validly) by Guangzhou's key.
    table = sent.info_table
    other = seal_key_rotate(agency=places.guangzhou, by=None)

    signature = sm2.sign(
        private_hex=other.private_key, public_hex=other.public_key, message=canonical(table.content)
    )
    InfoTable.objects.filter(pk=table.pk).update(signature=signature, key_id=other.key_id)

    refusal = _refusal(sent, destination_clerk)

    assert "广州医保" in refusal.message


def test_a_table_sealed_before_a_rotation_still_verifies(sent, destination_clerk, places):
    old = SealKey.objects.get(key_id=sent.info_table.key_id)

    new = seal_key_rotate(agency=places.dongguan, by=None)
    services.transfer_in(case=sent.case, by=destination_clerk)

    old.refresh_from_db()
    assert new.key_id != old.key_id
    assert not old.can_seal
    assert old.private_key == ""


def test_a_table_sealed_with_ed25519_before_the_sm2_seal_still_verifies(sent, destination_clerk):
    signature, kid = legacy_seal(canonical(sent.info_table.content))
    InfoTable.objects.filter(pk=sent.info_table.pk).update(
        algorithm="ed25519", signature=signature, key_id=kid
    )

    services.transfer_in(case=sent.case, by=destination_clerk)


def test_an_edited_ed25519_table_is_refused(sent, destination_clerk):
    table = sent.info_table
    signature, kid = legacy_seal(canonical(table.content))
    table.content["balance"] = "99999.00"
    table.algorithm, table.signature, table.key_id = "ed25519", signature, kid
    table.save(update_fields=["content", "algorithm", "signature", "key_id"])

    refusal = _refusal(sent, destination_clerk)

    assert "签章后被修改" in refusal.message
