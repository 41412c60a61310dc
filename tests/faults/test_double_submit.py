"""The same form posted twice (a double click, a retried request): one case, never two. Each
pair of posts goes through the real HTTP views, once one after the other and once at the same
moment from two threads with their own connections (PostgreSQL, committed transactions)."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.choices import WithdrawalGround
from cases.models import Case
from tests.accounts.factories import UserFactory
from tests.family_pool.factories import holder, insured
from tests.transfers.factories import mover, world
from tests.withdrawals.factories import GOOD_CARD, account_in, png_bytes
from withdrawals import rules

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _png(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def _twice(post: Callable[[], Any], *, at_once: bool) -> list[Any]:
    if not at_once:
        return [post(), post()]
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = post()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever happened
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def _answered(results: list[Any]) -> None:
    for result in results:
        assert not isinstance(result, Exception), repr(result)
        assert result.status_code < 500


@pytest.mark.parametrize("at_once", [False, True], ids=["one-after-the-other", "at-once"])
def test_a_transfer_application_posted_twice_opens_one_case(at_once):
    places = world()
    person = mover(places.dongguan, places.changde)
    user = UserFactory(username="mover", person=person, mobile=person.phone)

    def post():
        client = _signed_in(user)
        return client.post(
            reverse("transfers:apply"),
            {
                "origin_agency": places.dongguan.pk,
                "destination_agency": places.changde.pk,
                "transfer_type": "employee",
                "contact_phone": "13900000000",
                "id_card_front": _png("front.png"),
                "id_card_back": _png("back.png"),
            },
        )

    results = _twice(post, at_once=at_once)

    _answered(results)
    assert Case.objects.filter(person=person, kind="transfer").count() == 1


@pytest.mark.parametrize("at_once", [False, True], ids=["one-after-the-other", "at-once"])
def test_a_withdrawal_application_posted_twice_opens_one_case(at_once):
    places = world()
    account = account_in(places.dongguan)
    user = UserFactory(username="saver", person=account.person, mobile=account.person.phone)
    ground = WithdrawalGround.SERIOUS_ILLNESS
    client = _signed_in(user)
    chosen = client.post(reverse("withdrawals:apply"), {"ground": ground})
    assert chosen.status_code == 302, chosen.content[:500]

    def post():
        documents = {f"doc_{k}": _png(f"{k}.png") for k in rules.required_documents(ground)}
        return client.post(
            reverse("withdrawals:apply_confirm"),
            {
                "payee_name": account.person.name,
                "bank_name": "中国工商银行",
                "bank_account": GOOD_CARD,
                **documents,
            },
        )

    results = _twice(post, at_once=at_once)

    _answered(results)
    assert Case.objects.filter(person=account.person, kind="withdrawal").count() == 1


@pytest.mark.parametrize("at_once", [False, True], ids=["one-after-the-other", "at-once"])
def test_a_binding_request_posted_twice_opens_one_case(at_once):
    world()
    owner = holder("2000.00")
    user = UserFactory(username="holder", person=owner, mobile=owner.phone)
    mother = insured(birth=datetime.date(1955, 3, 1))

    def post():
        return _signed_in(user).post(
            reverse("family_pool:bind"),
            {
                "role": "holder",
                "other_id_number": mother.id_number,
                "other_name": mother.name,
                "relation": "parent",
            },
        )

    results = _twice(post, at_once=at_once)

    _answered(results)
    assert Case.objects.filter(person=owner, kind="family_binding").count() == 1


@pytest.mark.parametrize("at_once", [False, True], ids=["one-after-the-other", "at-once"])
def test_an_emergency_refund_claim_posted_twice_opens_one_case(at_once):
    places = world()
    account = account_in(places.dongguan)
    user = UserFactory(username="patient", person=account.person, mobile=account.person.phone)
    treated = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()

    def post():
        return _signed_in(user).post(
            reverse("withdrawals:refund_apply"),
            {
                "hospital": "东莞市人民医院",
                "treated_on": treated,
                "amount": "128.50",
                "receipts": _png("receipts.png"),
            },
        )

    results = _twice(post, at_once=at_once)

    _answered(results)
    assert Case.objects.filter(person=account.person, kind="emergency_refund").count() == 1
