"""Query counts that issue #7's fixes brought down, held there: a region's policy in one query
whatever the depth of the region, and an honest charge without the separate patient lookup."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import RegionPolicy
from accounts.policy import policy_for
from tests.family_pool.factories import card, holder, institution_with_key, post_charge, regions

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

    # 13 statements: the key, card, owner, own account and replay check in one, the policy,
    # the transaction, the charge row, the account and binding locks, quota reservations, the
    # ledger rows (three statements however many accounts pay) and the charge parts. A card
    # shown by someone else takes the slower checked path (then flagged and refused).
    assert honest == (201, 13)
    assert someone_elses_card[0] == 422
