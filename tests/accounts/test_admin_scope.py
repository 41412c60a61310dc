"""The admin seen as each role of two agencies (东莞 and 常德): every list shows the user's own
agency's rows only, another agency's object is refused by its URL, no page shows a full ID,
card or mobile number, and a system administrator runs only their own agency's staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.models import Agency, InsuredPerson, User
from audit.services import audit_record
from cases.models import Notification
from cases.notifications import notify
from family_pool.models import Institution, InsuranceCard
from tests.accounts.factories import UserFactory, staff_user
from tests.family_pool.factories import InstitutionFactory, card
from tests.transfers.factories import world as places
from tests.withdrawals.factories import GOOD_CARD, account_in, submit
from withdrawals.models import Withdrawal

pytestmark = pytest.mark.django_db

ROLES = ("clerk", "reviewer", "supervisor", "auditor", "sysadmin", "secadmin")
SIDES = ("dongguan", "changde")
OTHER = {"dongguan": "changde", "changde": "dongguan"}


@dataclass
class Side:
    agency: Agency
    person: InsuredPerson
    rows: dict[str, Any]  # admin label -> this agency's row of that model
    staff: dict[str, User] = field(default_factory=dict)


def _side(agency: Agency) -> Side:
    staff = {role: staff_user(role, agency) for role in ROLES}
    account = account_in(agency)
    withdrawal: Withdrawal = submit(account, by=staff["clerk"])
    case = withdrawal.case
    applicant = UserFactory(username=f"applicant-{agency.code}", person=account.person)
    notify(
        recipient=applicant,
        case=case,
        channels=(Notification.Channel.INBOX,),
        message=("scope", "a notification"),
    )
    entry = account.entries.order_by("pk").first()
    institution: Institution = InstitutionFactory(region_id=agency.region_id)
    insurance_card: InsuranceCard = card(account.person)
    audit = audit_record(action="login", user=staff["clerk"])
    rows = {
        "accounts.insuredperson": account.person,
        "accounts.enrollment": account.enrollment,
        "accounts.personalaccount": account,
        "accounts.ledgerentry": entry,
        "accounts.ledgertransaction": entry.transaction,
        "accounts.user": staff["clerk"],
        "audit.auditevent": audit,
        "cases.case": case,
        "cases.caseevent": case.events.order_by("pk").first(),
        "cases.document": case.documents.order_by("pk").first(),
        "cases.deadline": case.deadlines.order_by("pk").first(),
        "cases.notification": Notification.objects.filter(case=case).first(),
        "withdrawals.withdrawal": withdrawal,
        "family_pool.institution": institution,
        "family_pool.insurancecard": insurance_card,
    }
    return Side(agency=agency, person=account.person, rows=rows, staff=staff)


@dataclass
class Sides:
    by_name: dict[str, Side]
    secrets: list[str]  # what no admin page may show in full
    clients: dict[int, Client] = field(default_factory=dict)

    def client_for(self, user: User) -> Client:
        if user.pk not in self.clients:
            self.clients[user.pk] = Client()
            self.clients[user.pk].force_login(user)
        return self.clients[user.pk]


@pytest.fixture(scope="module")
def sides(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        agencies = places()
        by_name = {"dongguan": _side(agencies.dongguan), "changde": _side(agencies.changde)}
        secrets = [GOOD_CARD]
        for side in by_name.values():
            secrets += [side.person.id_number, side.person.phone]
        built = Sides(by_name=by_name, secrets=secrets)
        # Signed in now, inside the module's transaction: a session made inside one test
        # would be rolled back with it.
        for side in by_name.values():
            for user in side.staff.values():
                built.client_for(user)
        yield built
        transaction.set_rollback(True)


def _urls(label: str, pk: Any) -> tuple[str, str]:
    app, model = label.split(".")
    return (
        reverse(f"admin:{app}_{model}_changelist"),
        reverse(f"admin:{app}_{model}_change", args=[pk]),
    )


def _refused(response: Any) -> bool:
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and urlparse(response["Location"]).path == "/admin/"


def _assert_masked(sides: Sides, response: Any, where: str) -> None:
    page = response.content.decode()
    shown = [secret for secret in sides.secrets if secret in page]

    assert not shown, f"{where} shows {shown} in full"


CASES = [(side, role) for side in SIDES for role in ROLES]


@pytest.mark.parametrize(("side", "role"), CASES)
def test_each_list_shows_the_own_agency_rows_only(sides, side, role):
    mine, theirs = sides.by_name[side], sides.by_name[OTHER[side]]
    user = mine.staff[role]
    client = sides.client_for(user)

    for label, row in mine.rows.items():
        app, model = label.split(".")
        if row is None or not user.has_perm(f"{app}.view_{model}"):
            continue
        response = client.get(_urls(label, row.pk)[0])

        assert response.status_code == 200, label
        shown = set(response.context["cl"].queryset.values_list("pk", flat=True))
        assert row.pk in shown, f"{role} of {side} misses its own {label}"
        assert theirs.rows[label].pk not in shown, f"{role} of {side} sees {label} of {OTHER[side]}"


@pytest.mark.parametrize(("side", "role"), CASES)
def test_another_agency_object_is_refused_by_its_url(sides, side, role):
    mine, theirs = sides.by_name[side], sides.by_name[OTHER[side]]
    user = mine.staff[role]
    client = sides.client_for(user)

    for label, row in theirs.rows.items():
        if row is None or label == "family_pool.institution" and role != "sysadmin":
            continue
        response = client.get(_urls(label, row.pk)[1])

        assert _refused(response), f"{role} of {side} opens {label} of {OTHER[side]}"


@pytest.mark.parametrize(("side", "role"), CASES)
def test_no_admin_page_shows_a_full_id_card_or_mobile_number(sides, side, role):
    mine = sides.by_name[side]
    user = mine.staff[role]
    client = sides.client_for(user)

    for label, row in mine.rows.items():
        if row is None:
            continue
        for url in _urls(label, row.pk):
            response = client.get(url)

            _assert_masked(sides, response, f"{url} for {role} of {side}")


def test_a_national_superuser_sees_every_agency_and_still_no_full_number(sides):
    superuser = UserFactory(username="national", is_staff=True, is_superuser=True)
    client = sides.client_for(superuser)

    for side in sides.by_name.values():
        for label, row in side.rows.items():
            if row is None:
                continue
            changelist, change = _urls(label, row.pk)
            listed = client.get(changelist)
            page = client.get(change)

            assert row.pk in set(listed.context["cl"].queryset.values_list("pk", flat=True))
            assert page.status_code == 200, label
            _assert_masked(sides, listed, changelist)
            _assert_masked(sides, page, change)


def test_every_registered_model_is_scoped_or_declared_national():
    from accounts.admin_scope import NATIONAL_MODELS, AgencyScopedAdmin

    unscoped = [
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AgencyScopedAdmin)
        and model._meta.label_lower not in NATIONAL_MODELS
    ]

    assert not unscoped, f"admins without an agency scope: {unscoped}"


def test_a_search_for_another_agency_id_number_finds_nothing(sides):
    clerk = sides.by_name["changde"].staff["clerk"]
    stranger = sides.by_name["dongguan"].person

    response = sides.client_for(clerk).get(
        reverse("admin:accounts_insuredperson_changelist"), {"q": stranger.id_number}
    )

    assert list(response.context["cl"].result_list) == []


def test_a_dongguan_sysadmin_cannot_see_or_edit_changde_staff(sides):
    sysadmin = sides.by_name["dongguan"].staff["sysadmin"]
    changde_clerk = sides.by_name["changde"].staff["clerk"]
    client = sides.client_for(sysadmin)

    listed = client.get(reverse("admin:accounts_user_changelist"))
    posted = client.post(
        reverse("admin:accounts_user_change", args=[changde_clerk.pk]),
        {"username": "taken-over", "is_active": "on"},
    )

    assert changde_clerk.pk not in {u.pk for u in listed.context["cl"].queryset}
    assert _refused(posted)
    changde_clerk.refresh_from_db()
    assert changde_clerk.username != "taken-over"


def _user_form(user: User, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "groups": [g.pk for g in user.groups.all()],
        "agency": user.agency_id or "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_sysadmin_can_neither_make_a_superuser_nor_move_staff_to_another_agency(sides):
    sysadmin = sides.by_name["dongguan"].staff["sysadmin"]
    clerk = sides.by_name["dongguan"].staff["clerk"]
    changde = sides.by_name["changde"].agency
    url = reverse("admin:accounts_user_change", args=[clerk.pk])
    client = sides.client_for(sysadmin)

    client.post(url, _user_form(clerk, is_superuser="on"))
    client.post(url, _user_form(clerk, agency=changde.pk))

    clerk.refresh_from_db()
    assert not clerk.is_superuser
    assert clerk.agency_id == sides.by_name["dongguan"].agency.pk
