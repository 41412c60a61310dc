"""Applying online for a withdrawal: what the submission would refuse on the account and the
ground is said at the first step; a form that comes back keeps its documents; a card number
failing its check digit is shown on the form, to be corrected."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.choices import WithdrawalGround
from cases.models import Document
from tests.transfers.factories import window_transfer, world
from tests.withdrawals.factories import (
    GOOD_CARD,
    account_in,
    applicant_of,
    dongguan_agency,
    upload,
)
from withdrawals import rules
from withdrawals.models import Withdrawal

pytestmark = pytest.mark.django_db

G = WithdrawalGround
BAD_CARD = "6222020200112233445"


def _files(ground=G.SERIOUS_ILLNESS, **replace):
    files = {f"doc_{kind}": upload(f"{kind}.png") for kind in rules.required_documents(ground)}
    files.update(replace)
    return files


def _confirm(client, account, files, **fields):
    data = {
        "payee_name": account.person.name,
        "bank_name": "中国银行",
        "bank_account": GOOD_CARD,
        **fields,
        **files,
    }
    return client.post(reverse("withdrawals:apply_confirm"), data)


def test_an_applicant_with_a_transfer_in_progress_is_told_before_choosing(client):
    places = world()
    account = account_in(places.dongguan)
    window_transfer(account.person, places.dongguan, places.changde)
    client.force_login(applicant_of(account))

    page = client.get(reverse("withdrawals:apply"))
    chosen = client.post(reverse("withdrawals:apply"), {"ground": G.SERIOUS_ILLNESS})

    assert len(page.context["blockers"]) == 1
    assert chosen.status_code == 200  # not on to step 2
    assert chosen.context["form"].non_field_errors()
    assert not Withdrawal.objects.exists()


def test_a_ground_that_needs_the_enrollment_stopped_is_refused_at_the_first_step(client):
    account = account_in(dongguan_agency())
    client.force_login(applicant_of(account))

    response = client.post(reverse("withdrawals:apply"), {"ground": G.LEAVING_SCHEME})

    errors = response.context["form"].non_field_errors()
    assert response.status_code == 200
    assert len(errors) == 1
    assert "must first stop it" in errors[0]


def test_a_form_error_keeps_the_documents(client):
    account = account_in(dongguan_agency())
    client.force_login(applicant_of(account))
    client.post(reverse("withdrawals:apply"), {"ground": G.SERIOUS_ILLNESS})

    first = _confirm(client, account, _files(), bank_name="")
    second = _confirm(client, account, {})

    assert first.status_code == 200
    assert len(first.context["kept"]) == len(rules.required_documents(G.SERIOUS_ILLNESS))
    assert second.status_code == 302
    withdrawal = Withdrawal.objects.get()
    assert Document.objects.filter(case=withdrawal.case).count() == len(first.context["kept"])


def test_a_bad_check_digit_is_shown_on_the_form_and_the_corrected_number_is_filed(client):
    account = account_in(dongguan_agency())
    client.force_login(applicant_of(account))
    client.post(reverse("withdrawals:apply"), {"ground": G.SERIOUS_ILLNESS})

    warned = _confirm(client, account, _files(), bank_account=BAD_CARD)
    filed_after_warning = Withdrawal.objects.exists()
    corrected = _confirm(client, account, {}, bank_account=GOOD_CARD)

    assert warned.status_code == 200
    assert "bank_account" in warned.context["form"].errors
    assert not filed_after_warning
    assert corrected.status_code == 302
    assert Withdrawal.objects.get().bank_account == GOOD_CARD
