from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory

from accounts.choices import FamilyPoolCategory, WithdrawalGround
from accounts.models import RegionPolicy
from accounts.policy import policy_for
from tests.accounts.factories import guangdong_regions

pytestmark = pytest.mark.django_db

LTC = FamilyPoolCategory.LTC_CONTRIBUTION


@pytest.fixture
def regions():
    return guangdong_regions()


def _national(**values: object) -> RegionPolicy:
    return RegionPolicy.objects.create(region=None, **values)


def _saved_from_the_admin(region_code: str, **values: str) -> None:
    """A policy row as a clerk saves it in the admin: every field not typed in left blank."""
    model_admin = admin.site._registry[RegionPolicy]
    form_class = model_admin.get_form(RequestFactory().get("/"))
    data = {name: "" for name in form_class.base_fields}
    form = form_class(data={**data, "region": region_code, **values})
    assert form.is_valid(), form.errors
    form.save()


def test_without_any_row_a_county_gets_the_national_defaults(regions):
    policy = policy_for(regions["tianhe"])

    assert (policy.transfer_origin_days, policy.transfer_destination_days) == (10, 5)
    assert policy.transfer_total_days == 15
    assert policy.withdrawal_fee == Decimal("0.00")
    assert isinstance(policy.withdrawal_fee, Decimal)
    assert policy.withdrawal_review_days == 15
    assert policy.withdrawal_serious_illness_review_days == 1
    assert policy.emergency_refund_days == 7
    assert policy.reminder_days_before == 2
    assert policy.balance_portable_in_province is False
    assert policy.family_pool_online_review is False
    assert set(policy.family_pool_categories) == {
        FamilyPoolCategory.HOSPITAL_SELF_PAY,
        FamilyPoolCategory.PHARMACY,
        FamilyPoolCategory.RESIDENT_CONTRIBUTION,
    }
    assert set(policy.withdrawal_grounds) == set(WithdrawalGround.values)
    assert policy.withdrawal_fee_exempt_groups == ()


def test_without_a_region_it_is_the_national_policy(regions):
    _national(transfer_origin_days=12)

    policy = policy_for(None)

    assert policy.transfer_origin_days == 12
    assert policy.transfer_destination_days == 5


def test_a_national_row_overrides_the_built_in_defaults_field_by_field(regions):
    _national(transfer_origin_days=8, withdrawal_fee=Decimal("2.50"))

    policy = policy_for(regions["tianhe"])

    assert (policy.transfer_origin_days, policy.withdrawal_fee) == (8, Decimal("2.50"))
    assert policy.transfer_destination_days == 5


def test_a_province_row_overrides_the_national_row_for_a_county_under_it(regions):
    _national(transfer_origin_days=8, transfer_total_days=20)
    RegionPolicy.objects.create(region=regions["guangdong"], transfer_origin_days=6)

    policy = policy_for(regions["tianhe"])

    assert policy.transfer_origin_days == 6
    assert policy.transfer_total_days == 20


def test_a_prefecture_row_overrides_its_province_and_unset_fields_come_from_the_province(
    regions,
):
    RegionPolicy.objects.create(
        region=regions["guangdong"],
        transfer_origin_days=6,
        withdrawal_fee=Decimal("1.00"),
        family_pool_online_review=True,
    )
    RegionPolicy.objects.create(region=regions["guangzhou"], transfer_origin_days=4)

    policy = policy_for(regions["tianhe"])

    assert policy.transfer_origin_days == 4
    assert policy.withdrawal_fee == Decimal("1.00")
    assert policy.family_pool_online_review is True
    assert policy.transfer_destination_days == 5


def test_a_county_row_is_nearest_of_all(regions):
    RegionPolicy.objects.create(region=regions["guangzhou"], emergency_refund_days=5)
    RegionPolicy.objects.create(region=regions["tianhe"], emergency_refund_days=3)

    assert policy_for(regions["tianhe"]).emergency_refund_days == 3


def test_a_false_nearer_down_the_tree_overrides_a_true_above_it(regions):
    RegionPolicy.objects.create(region=regions["guangdong"], family_pool_online_review=True)
    RegionPolicy.objects.create(region=regions["guangzhou"], family_pool_online_review=False)

    policy = policy_for(regions["tianhe"])

    assert policy.family_pool_online_review is False


def test_a_zero_fee_nearer_down_the_tree_overrides_a_fee_above_it(regions):
    RegionPolicy.objects.create(region=regions["guangdong"], withdrawal_fee=Decimal("3.00"))
    RegionPolicy.objects.create(region=regions["dongguan"], withdrawal_fee=Decimal("0.00"))

    assert policy_for(regions["dongguan"]).withdrawal_fee == Decimal("0.00")
    assert policy_for(regions["tianhe"]).withdrawal_fee == Decimal("3.00")


def test_an_unrelated_province_is_unaffected(regions):
    _national(transfer_origin_days=8)
    RegionPolicy.objects.create(
        region=regions["guangdong"], transfer_origin_days=6, balance_portable_in_province=True
    )

    policy = policy_for(regions["changde"])

    assert policy.transfer_origin_days == 8
    assert policy.balance_portable_in_province is False


def test_array_fields_come_back_as_tuples(regions):
    RegionPolicy.objects.create(
        region=regions["guangdong"],
        family_pool_categories=[FamilyPoolCategory.PHARMACY, LTC],
        withdrawal_fee_exempt_groups=["retiree", "disabled"],
    )

    policy = policy_for(regions["dongguan"])

    assert policy.family_pool_categories == (FamilyPoolCategory.PHARMACY, LTC)
    assert policy.withdrawal_fee_exempt_groups == ("retiree", "disabled")
    assert policy.withdrawal_grounds == tuple(WithdrawalGround.values)


def test_a_region_row_saved_from_the_admin_inherits_the_array_fields_left_blank(regions):
    RegionPolicy.objects.create(
        region=regions["guangdong"],
        family_pool_categories=[FamilyPoolCategory.PHARMACY, LTC],
        withdrawal_fee_exempt_groups=["retiree"],
    )

    _saved_from_the_admin("440100", transfer_origin_days="4")

    policy = policy_for(regions["tianhe"])
    assert policy.transfer_origin_days == 4
    assert policy.family_pool_categories == (FamilyPoolCategory.PHARMACY, LTC)
    assert policy.withdrawal_fee_exempt_groups == ("retiree",)
    assert policy.withdrawal_grounds == tuple(WithdrawalGround.values)
    assert policy.family_pool_online_review is False
