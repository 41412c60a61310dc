from __future__ import annotations

import pytest

from accounts.demo import load_demo as load_people
from accounts.models import InsuredPerson, Region
from accounts.selectors import ledger_differences
from family_pool.charging.institutions import institution_for_key
from family_pool.demo import demo_key, load_demo
from family_pool.models import Binding, Charge, FlaggedCharge, Institution, InsuranceCard
from tests.accounts.factories import guangdong_regions, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    # Only the four demo cities: the whole GB/T 2260 list is not needed and slow to load.
    guangdong_regions()
    region("330100", "杭州市", Region.Level.PREFECTURE, region("330000", "浙江省", "province"))
    load_people(persons_per_agency=12)
    return load_demo()


def test_the_demo_has_institutions_keys_cards_bindings_and_charges(demo):
    institutions = list(Institution.objects.all())

    assert len(institutions) == 8
    for institution in institutions:
        assert institution_for_key(demo_key(institution.code)) == institution
        assert any(demo_key(institution.code) in line for line in demo)
    # Every person has a card; bindings with quotas, charges, a refund and a flag to look at.
    assert not InsuredPerson.objects.filter(insurance_cards__isnull=True).exists()
    assert Binding.objects.filter(state=Binding.State.ACTIVE).count() >= 4
    assert Binding.objects.filter(quota__isnull=False).exists()
    assert Binding.objects.filter(case__channel="window").exists()
    assert Charge.objects.filter(status=Charge.Status.CHARGED).count() >= 4
    assert Charge.objects.filter(status=Charge.Status.REFUNDED).exists()
    assert FlaggedCharge.objects.exists()
    assert ledger_differences() == []


def test_loading_the_demo_again_creates_nothing(demo):
    before = [m.objects.count() for m in (Institution, InsuranceCard, Binding, Charge)]

    load_demo()

    assert [m.objects.count() for m in (Institution, InsuranceCard, Binding, Charge)] == before
