"""People for family-pool tests: holders with money, insured relatives of a given age."""

from __future__ import annotations

import datetime

import factory

from accounts.models import Enrollment, InsuredPerson, Scheme, User
from family_pool.charging.cards import card_issue
from family_pool.charging.institutions import institution_issue_key
from family_pool.models import Binding, Institution, InsuranceCard, Relation
from tests.accounts.factories import (
    AgencyFactory,
    EnrollmentFactory,
    InsuredPersonFactory,
    UserFactory,
    funded_account,
    guangdong_regions,
    valid_id_number,
)

HOLDER_BIRTH = datetime.date(1980, 6, 15)


def regions():
    """Dongguan and Changde, each with its agency."""
    places = guangdong_regions()
    AgencyFactory(code="441900-01", name="东莞医保", region=places["dongguan"])
    AgencyFactory(code="430700-01", name="常德医保", region=places["changde"])
    return places


def person(birth: datetime.date = HOLDER_BIRTH, name: str | None = None) -> InsuredPerson:
    kwargs = {"id_number": valid_id_number(birth=birth)}
    if name:
        kwargs["name"] = name
    return InsuredPersonFactory(**kwargs)


def holder(
    balance: str = "1000.00", birth: datetime.date = HOLDER_BIRTH, region_code: str = "441900"
) -> InsuredPerson:
    """A person with an active employee enrollment and a funded, normal account."""
    who = person(birth)
    account = funded_account(balance, enrollment__person=who, enrollment__region__code=region_code)
    assert account.person_id == who.pk
    return who


def insured(
    birth: datetime.date = datetime.date(1955, 3, 1),
    scheme: str = Scheme.RESIDENT,
    region_code: str = "430700",
    status: str = Enrollment.Status.ACTIVE,
) -> InsuredPerson:
    who = person(birth)
    EnrollmentFactory(person=who, scheme=scheme, status=status, region__code=region_code)
    return who


def applicant(who: InsuredPerson) -> User:
    return UserFactory(username=f"applicant-{who.pk}", person=who, mobile=who.phone)


def account_of(who: InsuredPerson):
    return who.accounts.get()


class InstitutionFactory(factory.django.DjangoModelFactory[Institution]):
    class Meta:
        model = Institution
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"H{n:05d}")
    name = factory.Sequence(lambda n: f"定点医院{n}")
    kind = Institution.Kind.HOSPITAL
    region_id = "441900"


def institution_with_key(**kwargs) -> tuple[Institution, str]:
    inst = InstitutionFactory(**kwargs)
    return inst, institution_issue_key(institution=inst)


def bind(
    owner: InsuredPerson,
    relative: InsuredPerson,
    relation: str = Relation.PARENT,
    quota: str | None = None,
) -> Binding:
    """An active binding of the owner's account for the relative (optionally with a quota)."""
    from family_pool.services import binding_request, binding_set_quota

    binding = binding_request(
        by=applicant(owner),
        other_id_number=relative.id_number,
        other_name=relative.name,
        relation=relation,
        as_holder=True,
    )
    if quota is not None:
        binding_set_quota(binding=binding, quota=quota, by=applicant(owner))
    return Binding.objects.get(pk=binding.pk)


def card(who: InsuredPerson) -> InsuranceCard:
    return card_issue(person=who)


CHARGES_URL = "/api/institutions/charges"


def post_charge(client, key: str, patient: InsuredPerson, card_number: str, amount: str, **extra):
    body = {
        "id_number": patient.id_number,
        "card_number": card_number,
        "amount": amount,
        "category": extra.pop("category", "hospital_self_pay"),
        "settlement_number": extra.pop("settlement_number", None) or f"S-{_next()}",
    }
    return client.post(
        CHARGES_URL, data=body, content_type="application/json", headers=_auth(key, **extra)
    )


def post_refund(client, key: str, settlement_number: str, refund_number: str):
    return client.post(
        f"{CHARGES_URL}/{settlement_number}/refund",
        data={"refund_number": refund_number},
        content_type="application/json",
        headers=_auth(key),
    )


def _auth(key: str, header: str = "bearer") -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if header == "bearer" else {"X-Api-Key": key}


_counter = iter(range(1, 10**9))


def _next() -> int:
    return next(_counter)
