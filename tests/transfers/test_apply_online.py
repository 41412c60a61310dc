"""Applying online: the check staff run at acceptance stops the application before it is
filed, with every reason and what to do; the photos chosen survive a form that comes back;
a card number failing its check digit is shown on the form, to be corrected."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Enrollment, PersonalAccount
from cases.models import Document
from tests.accounts.factories import UserFactory
from tests.transfers.factories import mover, photo, window_transfer
from tests.withdrawals.factories import submit
from transfers.models import Transfer

pytestmark = pytest.mark.django_db

GOOD_CARD = "6222020200112233446"  # passes the Luhn check
BAD_CARD = "6222020200112233445"


def _form(places, **changes):
    data = {
        "origin_agency": places.dongguan.pk,
        "destination_agency": places.changde.pk,
        "transfer_type": "employee",
        "contact_phone": "13700000000",
        "id_card_front": photo("front.png"),
        "id_card_back": photo("back.png"),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _login(client, person):
    user = UserFactory(username=f"u{person.pk}", person=person, mobile="13700000000")
    client.force_login(user)
    return user


def test_someone_not_enrolled_at_the_destination_is_stopped_with_where_to_enroll(client, places):
    person = mover(places.dongguan, places.changde)
    Enrollment.objects.filter(person=person, region=places.changde.region).delete()
    _login(client, person)

    response = client.post(reverse("transfers:apply"), _form(places))

    errors = response.context["form"].non_field_errors()
    assert response.status_code == 200
    assert not Transfer.objects.exists()
    assert len(errors) == 1
    assert places.changde.region.name in errors[0]
    assert places.changde.name in errors[0]  # where to enroll


def test_every_reason_the_clerk_would_find_is_given_at_once(client, places):
    person = mover(places.dongguan, places.changde, origin_status=Enrollment.Status.ACTIVE)
    _login(client, person)

    response = client.post(reverse("transfers:apply"), _form(places))

    errors = response.context["form"].non_field_errors()
    assert len(errors) == 2
    assert "停保" in errors[0]
    assert "参保登记" in errors[1]
    assert not Transfer.objects.exists()


def test_an_open_transfer_is_said_before_the_form_is_shown(client, places):
    person = mover(places.dongguan, places.changde)
    window_transfer(person, places.dongguan, places.changde)
    _login(client, person)

    response = client.get(reverse("transfers:apply"))

    assert response.context["blockers"]
    assert b"apply-form" not in response.content


def test_an_open_withdrawal_stops_a_transfer_before_the_form(client, places):
    person = mover(places.dongguan, places.changde, origin_status=Enrollment.Status.ACTIVE)
    submit(PersonalAccount.objects.get(person=person))
    _login(client, person)

    response = client.get(reverse("transfers:apply"))

    assert len(response.context["blockers"]) == 1
    assert b"apply-form" not in response.content


def test_a_form_error_keeps_the_photos_and_the_next_post_files_them(client, places):
    person = mover(places.dongguan, places.changde)
    _login(client, person)

    first = client.post(reverse("transfers:apply"), _form(places, contact_phone="1234"))
    second = client.post(
        reverse("transfers:apply"),
        _form(places, id_card_front=None, id_card_back=None),
    )

    assert first.status_code == 200
    assert first.context["kept"] == ["front.png", "back.png"]
    assert "11" in first.context["form"].errors["contact_phone"][0]  # too short, not "digits"
    assert second.status_code == 302
    transfer = Transfer.objects.get()
    names = sorted(
        Document.objects.filter(case=transfer.case).values_list("original_name", flat=True)
    )
    assert names == ["back.png", "front.png"]


def test_a_card_number_failing_its_check_digit_is_shown_on_the_form_until_corrected(client, places):
    person = mover(places.dongguan, places.changde)
    _login(client, person)
    payout = {
        "payout_reason": "destination_cannot_take",
        "bank_name": "工商银行",
        "bank_account_name": person.name,
    }

    warned = client.post(
        reverse("transfers:apply"), _form(places, bank_account_number=BAD_CARD, **payout)
    )
    corrected = client.post(
        reverse("transfers:apply"),
        _form(
            places, bank_account_number=GOOD_CARD, id_card_front=None, id_card_back=None, **payout
        ),
    )

    assert warned.status_code == 200
    assert "bank_account_number" in warned.context["form"].errors
    assert "card_confirmed" in warned.context["form"].fields
    assert corrected.status_code == 302
    assert Transfer.objects.get().bank_account_number == GOOD_CARD


def test_a_card_number_confirmed_as_typed_is_filed(client, places):
    person = mover(places.dongguan, places.changde)
    _login(client, person)

    response = client.post(
        reverse("transfers:apply"),
        _form(
            places,
            payout_reason="destination_cannot_take",
            bank_name="工商银行",
            bank_account_name=person.name,
            bank_account_number=BAD_CARD,
            card_confirmed="on",
        ),
    )

    assert response.status_code == 302
    assert Transfer.objects.get().bank_account_number == BAD_CARD
