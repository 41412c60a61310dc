"""Who may bind with whom: the eight close relatives, never oneself, ages that fit, an
employee holder with a normal account, an insured relative, one open binding per pair."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError

from accounts.models import Enrollment, PersonalAccount, Scheme
from cases.errors import CaseError
from family_pool.models import Binding, Relation
from family_pool.services import binding_request
from tests.family_pool.factories import HOLDER_BIRTH, applicant, holder, insured

pytestmark = pytest.mark.django_db

# A birth date for the relative that fits each relation with a holder born in 1980.
FITTING_BIRTH = {
    Relation.SPOUSE: datetime.date(1982, 2, 2),
    Relation.PARENT: datetime.date(1955, 3, 1),
    Relation.CHILD: datetime.date(2008, 9, 9),
    Relation.SIBLING: datetime.date(1984, 4, 4),
    Relation.PATERNAL_GRANDPARENT: datetime.date(1930, 1, 1),
    Relation.MATERNAL_GRANDPARENT: datetime.date(1932, 1, 1),
    Relation.PATERNAL_GRANDCHILD: datetime.date(2015, 5, 5),
    Relation.MATERNAL_GRANDCHILD: datetime.date(2016, 6, 6),
}


def _bind(holder_person, relative, relation):
    return binding_request(
        by=applicant(holder_person),
        other_id_number=relative.id_number,
        other_name=relative.name,
        relation=relation,
        as_holder=True,
    )


def _refusal(holder_person, relative, relation) -> CaseError:
    with pytest.raises(CaseError) as caught:
        _bind(holder_person, relative, relation)
    return caught.value


@pytest.mark.parametrize("relation", Relation.values)
def test_each_of_the_eight_close_relatives_is_accepted(places, relation):
    owner = holder()
    relative = insured(birth=FITTING_BIRTH[relation])

    binding = _bind(owner, relative, relation)

    stored = Binding.objects.get(pk=binding.pk)
    assert stored.state == Binding.State.ACTIVE
    assert stored.relation == relation
    assert stored.case.kind == "family_binding"
    assert stored.case.agency.region_id == "441900"


def test_a_cousin_is_refused_with_the_list_of_close_relatives(places):
    owner, cousin = holder(), insured(birth=datetime.date(1981, 1, 1))

    error = _refusal(owner, cousin, "cousin")

    assert "Spouse" in " ".join(error.reasons) or "配偶" in " ".join(error.reasons)
    assert not Binding.objects.exists()


def test_nobody_can_bind_with_themselves(places):
    owner = holder()

    error = _refusal(owner, owner, Relation.SIBLING)

    assert len(error.reasons) == 1
    assert not Binding.objects.exists()


def test_a_parent_younger_than_the_holder_is_refused(places):
    owner = holder()
    young = insured(birth=datetime.date(1990, 1, 1))

    error = _refusal(owner, young, Relation.PARENT)

    assert "1990-01-01" in error.reasons[0]
    assert "15" in error.reasons[0]


@pytest.mark.parametrize(
    ("relation", "birth"),
    [
        (Relation.PARENT, datetime.date(1966, 1, 1)),  # only 14 years older
        (Relation.CHILD, datetime.date(1990, 1, 1)),  # only 10 years younger
        (Relation.PATERNAL_GRANDPARENT, datetime.date(1955, 1, 1)),  # one generation
        (Relation.MATERNAL_GRANDCHILD, datetime.date(2000, 1, 1)),  # one generation
    ],
)
def test_ages_that_contradict_the_relation_are_refused(places, relation, birth):
    owner, relative = holder(), insured(birth=birth)

    error = _refusal(owner, relative, relation)

    assert error.code == "refused"


def test_a_parent_exactly_fifteen_years_older_is_accepted(places):
    owner = holder()
    relative = insured(birth=HOLDER_BIRTH.replace(year=HOLDER_BIRTH.year - 15))

    assert _bind(owner, relative, Relation.PARENT).state == Binding.State.ACTIVE


def test_a_resident_scheme_holder_is_refused(places):
    resident = insured(birth=HOLDER_BIRTH, scheme=Scheme.RESIDENT)
    relative = insured(birth=datetime.date(1955, 1, 1))

    error = _refusal(resident, relative, Relation.PARENT)

    assert "employee" in error.reasons[0] or "职工" in error.reasons[0]


def test_a_holder_with_a_frozen_account_is_refused(places):
    owner = holder()
    PersonalAccount.objects.filter(person=owner).update(status=PersonalAccount.Status.FROZEN)

    error = _refusal(owner, insured(), Relation.PARENT)

    assert error.code == "refused"


def test_an_uninsured_relative_is_refused(places):
    owner = holder()
    relative = insured(status=Enrollment.Status.STOPPED)

    _refusal(owner, relative, Relation.PARENT)


def test_a_relative_insured_anywhere_in_either_scheme_is_accepted(places):
    owner = holder()
    relative = insured(scheme=Scheme.EMPLOYEE, region_code="440100")

    assert _bind(owner, relative, Relation.PARENT).state == Binding.State.ACTIVE


def test_every_reason_is_given_at_once(places):
    resident = insured(birth=HOLDER_BIRTH)
    young_uninsured = insured(birth=datetime.date(1999, 1, 1), status=Enrollment.Status.STOPPED)

    error = _refusal(resident, young_uninsured, Relation.PARENT)

    assert len(error.reasons) == 3  # holder not employee, relative not insured, ages


def test_a_second_binding_of_the_same_pair_is_refused_while_one_is_open(places):
    owner, relative = holder(), insured()
    _bind(owner, relative, Relation.PARENT)

    _refusal(owner, relative, Relation.PARENT)

    assert Binding.objects.count() == 1


def test_the_database_refuses_two_open_bindings_of_one_pair(places):
    owner, relative = holder(), insured()
    first = _bind(owner, relative, Relation.PARENT)
    twin = Binding.objects.get(pk=first.pk)
    twin.pk = None
    twin.case = first.case.__class__.objects.create(
        reference="GJTEST",
        kind="family_binding",
        person=owner,
        agency=first.case.agency,
        channel="online",
        state="active",
    )

    with pytest.raises(IntegrityError):
        twin.save(force_insert=True)


def test_the_same_pair_may_bind_again_after_the_binding_ended(places):
    from family_pool.services import binding_end

    owner, relative = holder(), insured()
    first = _bind(owner, relative, Relation.PARENT)
    binding_end(binding=first, by=first.case.applicant)

    again = _bind(owner, relative, Relation.PARENT)

    assert again.state == Binding.State.ACTIVE


def test_both_directions_and_several_bindings_are_allowed(places):
    a, b = holder(), holder(birth=datetime.date(1982, 1, 1))
    c = insured()

    _bind(a, b, Relation.SPOUSE)
    _bind(b, a, Relation.SPOUSE)
    _bind(a, c, Relation.PARENT)

    assert Binding.objects.filter(state=Binding.State.ACTIVE).count() == 3


def test_a_wrong_name_is_refused_without_saying_whose_number_it_is(places):
    owner, relative = holder(), insured()

    with pytest.raises(CaseError) as caught:
        binding_request(
            by=applicant(owner),
            other_id_number=relative.id_number,
            other_name="别人",
            relation=Relation.PARENT,
            as_holder=True,
        )

    assert caught.value.code == "no_match"
