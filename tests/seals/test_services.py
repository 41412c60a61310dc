"""The seal key registry: rotation, peers' public keys, revocation, the first key."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from seals import sm2
from seals.errors import SealError
from seals.models import SealKey
from seals.services import (
    seal,
    seal_key_add_public,
    seal_key_revoke,
    seal_key_rotate,
    seal_verify,
    sealing_key,
)
from tests.accounts.factories import AgencyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency():
    return AgencyFactory(code="441900-01", name="东莞医保")


def test_an_agency_without_keys_gets_its_first_one_when_it_first_seals(agency):
    signature, key = seal(agency=agency, message=b"table")

    assert key.agency == agency
    assert key.key_id == sm2.key_id(key.public_key)
    assert (
        seal_verify(
            agency_code=agency.code, key_id=key.key_id, message=b"table", signature=signature
        )
        == key
    )


def test_rotating_makes_the_new_key_the_sealing_key_and_retires_the_old(agency):
    old = seal_key_rotate(agency=agency, by=None)
    signature, _ = seal(agency=agency, message=b"before")

    new = seal_key_rotate(agency=agency, by=None)

    old.refresh_from_db()
    assert sealing_key(agency) == new
    assert (old.retired_at is not None, old.private_key) == (True, "")
    assert (
        seal_verify(
            agency_code=agency.code, key_id=old.key_id, message=b"before", signature=signature
        )
        == old
    )
    assert AuditEvent.objects.filter(action="seal_key_rotated").count() == 2


def test_the_database_keeps_one_sealing_key_per_agency(agency):
    key = seal_key_rotate(agency=agency, by=None)
    public, private = sm2.generate()

    with pytest.raises(IntegrityError), transaction.atomic():
        SealKey.objects.create(
            agency=agency, key_id=sm2.key_id(public), public_key=public, private_key=private
        )

    assert sealing_key(agency) == key


def test_a_peers_public_key_verifies_its_seals_and_never_seals(agency):
    peer = AgencyFactory(code="330100-01", name="杭州医保")
    public, private = sm2.generate()
    signature = sm2.sign(private_hex=private, public_hex=public, message=b"peer table")

    key = seal_key_add_public(agency=peer, public_key="04" + public.upper(), by=None)

    assert key.public_key == public
    assert not key.can_seal
    assert (
        seal_verify(
            agency_code=peer.code, key_id=key.key_id, message=b"peer table", signature=signature
        )
        == key
    )


@pytest.mark.parametrize("text", ["", "04abcd", "zz" * 64, "01" * 64])
def test_what_is_not_an_sm2_public_key_is_refused(agency, text):
    with pytest.raises(SealError) as refused:
        seal_key_add_public(agency=agency, public_key=text, by=None)

    assert refused.value.code == "bad_public_key"


def test_the_same_public_key_is_not_registered_twice(agency):
    key = seal_key_rotate(agency=agency, by=None)

    with pytest.raises(SealError) as refused:
        seal_key_add_public(agency=agency, public_key=key.public_key, by=None)

    assert refused.value.code == "duplicate_key"


def test_a_revoked_key_verifies_nothing_and_the_agency_cannot_seal_until_a_rotation(agency):
    signature, key = seal(agency=agency, message=b"table")

    seal_key_revoke(key=key, by=None, reason="leaked")

    with pytest.raises(SealError) as refused:
        seal_verify(
            agency_code=agency.code, key_id=key.key_id, message=b"table", signature=signature
        )
    with pytest.raises(SealError) as cannot_seal:
        seal(agency=agency, message=b"next")
    assert (refused.value.code, cannot_seal.value.code) == ("revoked_key", "no_seal_key")
    assert seal_key_rotate(agency=agency, by=None).can_seal


@pytest.mark.parametrize("signature", ["", "not base64!", "MEUCIQ=="])
def test_a_garbled_signature_is_refused_as_altered(agency, signature):
    _, key = seal(agency=agency, message=b"table")

    with pytest.raises(SealError) as refused:
        seal_verify(
            agency_code=agency.code, key_id=key.key_id, message=b"table", signature=signature
        )

    assert refused.value.code == "altered"


def test_the_command_rotates_the_named_agencies(agency, capsys):
    first = seal_key_rotate(agency=agency, by=None)

    call_command("rotate_seal_key", agency.code)

    assert sealing_key(agency) != first
    assert sealing_key(agency).key_id in capsys.readouterr().out
