from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.demo import DEMO_PASSWORD, load_demo
from accounts.idnumbers import parse_id_number
from accounts.models import Agency, InsuredPerson, LedgerEntry, PersonalAccount, User
from accounts.roles import Role
from accounts.selectors import ledger_differences
from seals.models import SealKey
from seals.services import sealing_key
from tests.ledger_check import assert_ledger_balanced

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["region", "agency", "insuredperson", "enrollment", "personalaccount"]


@pytest.fixture
def demo(all_regions):
    return load_demo(persons_per_agency=6)


def test_the_demo_has_agencies_in_three_provinces(demo):
    provinces = {code[:2] for code in Agency.objects.values_list("region_id", flat=True)}

    assert {"441900", "430700"} <= set(Agency.objects.values_list("region_id", flat=True))
    assert len(provinces) >= 3


def test_the_demo_has_one_staff_user_per_role_per_agency(demo):
    for agency in Agency.objects.all():
        roles = sorted(User.objects.filter(agency=agency).values_list("groups__name", flat=True))

        assert roles == sorted(Role.values)


def test_every_demo_person_has_a_valid_id_and_every_balance_matches_its_ledger(demo):
    numbers = list(InsuredPerson.objects.values_list("id_number", flat=True))

    assert len(numbers) == 24
    assert all(parse_id_number(n).number == n for n in numbers)
    assert ledger_differences() == []
    assert_ledger_balanced()  # every transaction double-entry, the ledger sums to zero
    assert PersonalAccount.objects.filter(balance__gt=0).count() > len(numbers) // 2


def test_every_demo_agency_has_a_sealing_key_and_keeps_it_on_reload(demo):
    keys = set(SealKey.objects.values_list("key_id", flat=True))

    load_demo(persons_per_agency=6)

    assert all(sealing_key(agency).can_seal for agency in Agency.objects.all())
    assert set(SealKey.objects.values_list("key_id", flat=True)) == keys


def test_loading_the_demo_again_creates_nothing(demo):
    before = (InsuredPerson.objects.count(), User.objects.count(), LedgerEntry.objects.count())

    load_demo(persons_per_agency=6)

    assert (
        InsuredPerson.objects.count(),
        User.objects.count(),
        LedgerEntry.objects.count(),
    ) == before


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_a_demo_clerk_logs_in_to_the_admin_and_sees_the_records(client, demo, page):
    login = client.post(
        reverse("admin:login"),
        {"username": "dongguan_clerk", "password": DEMO_PASSWORD, "next": reverse("admin:index")},
    )

    response = client.get(reverse(f"admin:accounts_{page}_changelist"))

    assert login.status_code == 302
    assert response.status_code == 200


def test_the_admin_finds_a_person_by_full_id_number(admin_client, demo):
    person = InsuredPerson.objects.first()

    response = admin_client.get(
        reverse("admin:accounts_insuredperson_changelist"), {"q": person.id_number.lower()}
    )

    assert list(response.context["cl"].result_list) == [person]


def test_the_admin_refuses_an_invalid_id_number_with_its_reason(admin_client, demo):
    response = admin_client.post(
        reverse("admin:accounts_insuredperson_add"),
        {
            "name": "王五",
            "id_number": "110105194912310021",
            "phone": "13900005555",
            "enrollments-TOTAL_FORMS": "0",
            "enrollments-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["id_number"]
    assert not InsuredPerson.objects.filter(name="王五").exists()


def test_the_admin_does_not_let_anyone_edit_a_balance(admin_client, demo):
    account = PersonalAccount.objects.first()

    response = admin_client.post(
        reverse("admin:accounts_personalaccount_change", args=[account.pk]), {"balance": "999999"}
    )

    account.refresh_from_db()
    assert response.status_code == 403
    assert account.balance != 999999
