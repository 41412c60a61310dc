"""Query counts that issue #7's fixes brought down, held there: a region's policy in one query
whatever the depth of the region, and an honest charge without the separate patient lookup."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import RegionPolicy
from accounts.policy import policy_for
from family_pool.models import Charge, Relation
from tests.family_pool.factories import (
    bind,
    card,
    holder,
    institution_with_key,
    post_charge,
    regions,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(db):
    return regions()


def test_a_county_policy_is_read_in_one_query_and_still_inherits(places, django_assert_num_queries):
    RegionPolicy.objects.create(region=None, transfer_origin_days=12)
    RegionPolicy.objects.create(region=places["guangdong"], reminder_days_before=3)
    RegionPolicy.objects.create(region=places["guangzhou"], withdrawal_review_days=9)

    with django_assert_num_queries(1):
        policy = policy_for(places["tianhe"])

    assert policy.withdrawal_review_days == 9  # the city
    assert policy.reminder_days_before == 3  # the province
    assert policy.transfer_origin_days == 12  # the national row
    assert policy.transfer_destination_days == 5  # the built-in default


def _charge_queries(client, key, patient, number) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = post_charge(client, key, patient, number, "5.00")
    return response.status_code, len(queries.captured_queries)


def test_an_honest_charge_reads_the_card_with_its_owner(client, places):
    _institution, key = institution_with_key(code="H-Q", region_id="441900")
    patient = holder(balance="100.00")
    number = card(patient).number
    impostor = holder(balance="100.00")

    honest = _charge_queries(client, key, patient, number)
    someone_elses_card = _charge_queries(client, key, impostor, number)

    # 8 statements: the key with the card, its owner, the own account and the replay check in
    # one, the policy, the transaction, the charge row with the account locks, the binding
    # locks with the quota reservations, the ledger rows and the charge parts (one statement
    # each however many accounts pay), sent in 5 round trips. A card shown by someone else
    # takes the slower checked path (then flagged and refused).
    assert honest == (201, 8)
    assert someone_elses_card[0] == 422


def test_a_charge_shared_by_three_accounts_takes_as_many_statements_as_one(client, places):
    _institution, key = institution_with_key(code="H-Q", region_id="441900")
    patient = holder(balance="10.00", birth=datetime.date(2000, 1, 1))
    father = holder(balance="30.00", birth=datetime.date(1970, 1, 1))
    mother = holder(balance="100.00", birth=datetime.date(1972, 1, 1))
    bind(father, patient, Relation.CHILD)
    bind(mother, patient, Relation.CHILD, quota="20.00")
    number = card(patient).number

    with CaptureQueriesContext(connection) as queries:
        response = post_charge(client, key, patient, number, "50.00")

    assert response.status_code == 201, response.json()
    assert [p["amount"] for p in response.json()["payments"]] == ["10.00", "30.00", "10.00"]
    assert len(queries.captured_queries) == 8


def test_a_charge_the_own_account_cannot_pay_is_refused_without_a_transaction(client, places):
    _institution, key = institution_with_key(code="H-Q", region_id="441900")
    patient = holder(balance="10.00")
    number = card(patient).number

    with CaptureQueriesContext(connection) as queries:
        response = post_charge(client, key, patient, number, "10.01")

    # The key with the card facts, and the policy: no transaction, no charge row, no lock.
    assert response.status_code == 422
    assert response.json()["code"] == "insufficient_balance"
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "WITH"]
    assert not Charge.objects.exists()
