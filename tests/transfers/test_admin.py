"""The admin finds transfers by ID number and reference; its actions call the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.transfers.factories import mover, window_transfer
from transfers.models import Transfer

pytestmark = pytest.mark.django_db

PAGES = ["transfer", "infotable", "bankpayout", "creditmismatch"]


@pytest.fixture
def transfer(places):
    return window_transfer(mover(places.dongguan, places.changde), places.dongguan, places.changde)


@pytest.mark.parametrize("page", PAGES)
def test_every_transfers_model_has_an_admin_page(admin_client, page):
    response = admin_client.get(reverse(f"admin:transfers_{page}_changelist"))

    assert response.status_code == 200


def test_the_admin_finds_a_transfer_by_whole_id_number_and_by_reference(admin_client, transfer):
    number = transfer.case.person.id_number
    url = reverse("admin:transfers_transfer_changelist")

    by_number = admin_client.get(url, {"q": number.lower()})
    by_reference = admin_client.get(url, {"q": transfer.case.reference})
    by_part = admin_client.get(url, {"q": number[:10]})

    assert list(by_number.context["cl"].result_list) == [transfer]
    assert list(by_reference.context["cl"].result_list) == [transfer]
    assert list(by_part.context["cl"].result_list) == []


def test_an_admin_action_accepts_through_the_service(client, transfer, origin_clerk):
    client.force_login(origin_clerk)

    client.post(
        reverse("admin:transfers_transfer_changelist"),
        {"action": "accept_selected", "_selected_action": [transfer.pk]},
    )

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.ACCEPTED
    assert transfer.case.events.filter(action="accept", actor=origin_clerk).exists()


def test_an_admin_action_refused_by_the_service_says_why(admin_client, transfer):
    response = admin_client.post(
        reverse("admin:transfers_transfer_changelist"),
        {"action": "transfer_out_selected", "_selected_action": [transfer.pk]},
        follow=True,
    )

    messages = [str(m) for m in response.context["messages"]]
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.APPLIED
    assert any(transfer.case.reference in m for m in messages)
