from __future__ import annotations

import pytest
from django.urls import reverse

from seals import sm2
from seals.models import SealKey
from seals.services import seal_key_rotate, sealing_key
from tests.accounts.factories import AgencyFactory

pytestmark = pytest.mark.django_db


def test_the_admin_lists_keys_without_their_private_half(admin_client):
    key = seal_key_rotate(agency=AgencyFactory(), by=None)

    listing = admin_client.get(reverse("admin:seals_sealkey_changelist"))
    page = admin_client.get(reverse("admin:seals_sealkey_change", args=[key.pk]))

    assert key.key_id in listing.content.decode()
    assert key.public_key in page.content.decode()
    assert key.private_key not in page.content.decode()


def test_the_rotate_action_gives_the_agency_a_new_sealing_key(admin_client):
    agency = AgencyFactory()
    old = seal_key_rotate(agency=agency, by=None)

    admin_client.post(
        reverse("admin:seals_sealkey_changelist"),
        {"action": "rotate", "_selected_action": [old.pk]},
    )

    assert sealing_key(agency) != old


def test_a_peers_public_key_is_added_in_the_admin(admin_client):
    peer = AgencyFactory()
    public, _private = sm2.generate()

    admin_client.post(
        reverse("admin:seals_sealkey_add"),
        {
            "agency": peer.pk,
            "public_key": public,
            "valid_from_0": "2026-01-01",
            "valid_from_1": "00:00:00",
        },
    )

    key = SealKey.objects.get(agency=peer)
    assert (key.public_key, key.private_key) == (public, "")
