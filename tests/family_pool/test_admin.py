"""The administration site: every action goes through the services."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from accounts.models import Agency, RegionPolicy
from family_pool.charging.charges import charge_create
from family_pool.charging.institutions import institution_for_key
from family_pool.charging.results import ChargeRefused
from family_pool.models import Binding, Charge, FlaggedCharge, Institution, InsuranceCard, Relation
from family_pool.services import binding_request
from tests.accounts.factories import UserFactory, staff_user
from tests.family_pool.factories import (
    applicant,
    card,
    holder,
    institution_with_key,
    insured,
)

pytestmark = pytest.mark.django_db

MODELS = ["binding", "institution", "insurancecard", "charge", "flaggedcharge"]


@pytest.fixture
def superuser(places):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def _pending(places):
    RegionPolicy.objects.get_or_create(region=places["dongguan"], family_pool_online_review=True)
    owner, relative = holder(), insured()
    return binding_request(
        by=applicant(owner),
        other_id_number=relative.id_number,
        other_name=relative.name,
        relation=Relation.PARENT,
        as_holder=True,
    )


def _action(client, model, action, pks, **extra):
    return client.post(
        reverse(f"admin:family_pool_{model}_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks], **extra},
        follow=True,
    )


@pytest.mark.parametrize("model", MODELS)
def test_every_family_pool_page_opens_for_a_superuser(client, superuser, model):
    client.force_login(superuser)

    assert client.get(reverse(f"admin:family_pool_{model}_changelist")).status_code == 200


def test_a_clerk_approves_a_binding_in_the_admin(client, places):
    binding = _pending(places)
    client.force_login(staff_user("clerk", Agency.objects.get(region_id="441900")))

    _action(client, "binding", "approve", [binding.pk])

    assert Binding.objects.get(pk=binding.pk).state == Binding.State.ACTIVE


def test_rejecting_in_the_admin_asks_for_a_reason_first(client, places):
    binding = _pending(places)
    client.force_login(staff_user("clerk", Agency.objects.get(region_id="441900")))

    form = _action(client, "binding", "reject", [binding.pk])
    assert Binding.objects.get(pk=binding.pk).state == Binding.State.PENDING
    _action(client, "binding", "reject", [binding.pk], apply="1", reason="证明不全")

    assert "reason" in form.content.decode()
    assert Binding.objects.get(pk=binding.pk).state == Binding.State.REJECTED


def test_another_agencys_clerk_does_not_see_the_binding(client, places):
    binding = _pending(places)
    client.force_login(staff_user("clerk", Agency.objects.get(region_id="430700")))

    page = client.get(reverse("admin:family_pool_binding_changelist"))

    assert binding.case.reference not in page.content.decode()


def test_issuing_a_key_shows_it_once_and_it_works(client, superuser):
    institution, old_key = institution_with_key(code="H-ADM")
    client.force_login(superuser)

    page = _action(client, "institution", "issue_key", [institution.pk])

    shown = [str(m) for m in page.context["messages"]]
    new_key = shown[0].split(": ", 1)[1].split(" ")[0]
    assert institution_for_key(new_key) == institution
    assert institution_for_key(old_key) is None
    assert new_key not in str(Institution.objects.values().get(pk=institution.pk))


def test_a_card_added_in_the_admin_gets_a_number(client, superuser):
    who = insured()
    client.force_login(superuser)

    client.post(reverse("admin:family_pool_insurancecard_add"), {"person": who.pk, "number": ""})

    assert len(InsuranceCard.objects.get(person=who).number) == 16


def test_a_charge_is_refunded_from_the_admin(client, superuser):
    institution, _key = institution_with_key(code="H-REF")
    owner = holder()
    charge_create(
        institution=institution,
        id_number=owner.id_number,
        card_number=card(owner).number,
        amount="10.00",
        category="hospital_self_pay",
        settlement_number="A-1",
    )
    client.force_login(superuser)

    _action(client, "charge", "refund", [Charge.objects.get().pk])

    assert Charge.objects.get().status == Charge.Status.REFUNDED
    assert owner.accounts.get().balance == 1000


def test_a_flag_is_reviewed_from_the_admin_with_a_note(client, places):
    institution, _key = institution_with_key(code="H-FLA", region_id="441900")
    with pytest.raises(ChargeRefused):
        charge_create(
            institution=institution,
            id_number=insured().id_number,
            card_number=card(holder()).number,
            amount="10.00",
            category="hospital_self_pay",
            settlement_number="A-2",
        )
    flag = FlaggedCharge.objects.get()
    client.force_login(staff_user("supervisor", Agency.objects.get(region_id="441900")))

    _action(client, "flaggedcharge", "review", [flag.pk], apply="1", reason="已移交稽核")

    flag.refresh_from_db()
    assert flag.review_note == "已移交稽核"


def test_a_binding_and_a_charge_open_read_only(client, superuser, places):
    binding = _pending(places)
    institution, _key = institution_with_key(code="H-RO")
    owner = holder()
    charge_create(
        institution=institution,
        id_number=owner.id_number,
        card_number=card(owner).number,
        amount="10.00",
        category="hospital_self_pay",
        settlement_number="RO-1",
    )
    client.force_login(superuser)

    pages = [
        reverse("admin:family_pool_binding_change", args=[binding.pk]),
        reverse("admin:family_pool_charge_change", args=[Charge.objects.get().pk]),
    ]

    for url in pages:
        assert client.get(url).status_code == 200
