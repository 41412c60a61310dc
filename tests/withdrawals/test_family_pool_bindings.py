"""The payout closes the account, which ends every family-pool binding of the person and
lets no new one begin."""

from __future__ import annotations

import datetime

import pytest

from accounts.models import Enrollment, Scheme
from cases.errors import CaseError
from family_pool.models import Binding, Relation
from family_pool.services import binding_open_at_window
from tests.accounts.factories import EnrollmentFactory, InsuredPersonFactory, valid_id_number
from tests.withdrawals.factories import (
    account_in,
    clerk_and_reviewer,
    dongguan_agency,
    submit,
    upload,
)
from withdrawals.payout import withdrawal_pay
from withdrawals.services import withdrawal_approve, withdrawal_first_review

pytestmark = pytest.mark.django_db


def _parent(region):
    parent = InsuredPersonFactory(id_number=valid_id_number(birth=datetime.date(1950, 2, 3)))
    EnrollmentFactory(
        person=parent, region=region, scheme=Scheme.RESIDENT, status=Enrollment.Status.ACTIVE
    )
    return parent


def _bind(clerk, holder, relative):
    return binding_open_at_window(
        by=clerk,
        holder=holder,
        relative=relative,
        relation=Relation.PARENT,
        kinship_proof=upload("hukou.png"),
    )


def test_the_payout_ends_the_bindings_and_no_new_one_can_begin():
    agency = dongguan_agency()
    clerk, reviewer = clerk_and_reviewer(agency)
    account = account_in(agency)
    holder = account.person
    binding = _bind(clerk, holder, _parent(agency.region))
    assert Binding.objects.get(pk=binding.pk).state == Binding.State.ACTIVE
    withdrawal = submit(account)
    withdrawal_first_review(withdrawal=withdrawal, by=clerk)
    withdrawal_approve(withdrawal=withdrawal, by=reviewer)

    withdrawal_pay(withdrawal=withdrawal, by=clerk)

    assert Binding.objects.get(pk=binding.pk).state == Binding.State.ENDED
    with pytest.raises(CaseError) as refused:
        _bind(clerk, holder, _parent(agency.region))
    assert any("closed" in reason for reason in refused.value.reasons)
