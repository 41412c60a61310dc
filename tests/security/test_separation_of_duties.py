from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from accounts.roles import Role, all_role_permissions
from tests.accounts.factories import AgencyFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db

DECIDING = ["cases.process_case", "cases.review_case", "cases.sign_off_case"]


def _perm(name):
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _roles(user):
    return sorted(user.groups.values_list("name", flat=True))


@pytest.fixture
def agency():
    return AgencyFactory()


def test_the_security_administrator_is_a_role_that_decides_nothing(agency):
    secadmin = staff_user(Role.SECADMIN, agency)

    assert secadmin.has_perm("audit.view_auditevent")
    assert secadmin.has_perm("axes.delete_accessattempt")
    assert secadmin.has_perm("otp_totp.delete_totpdevice")
    assert not secadmin.has_perm("accounts.change_user")
    assert not any(secadmin.has_perm(p) for p in DECIDING)


def test_the_system_administrator_has_no_case_deciding_permission(agency):
    sysadmin = staff_user(Role.SYSADMIN, agency)

    assert not any(sysadmin.has_perm(p) for p in DECIDING)
    assert not set(DECIDING) & set(all_role_permissions()[Role.SYSADMIN])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Role.SYSADMIN, Role.AUDITOR),
        (Role.SYSADMIN, Role.SECADMIN),
        (Role.AUDITOR, Role.SECADMIN),
    ],
)
def test_no_user_holds_two_of_the_three_administrator_roles(agency, first, second):
    user = staff_user(first, agency)

    with pytest.raises(ValidationError), transaction.atomic():
        user.groups.add(Group.objects.get(name=second))

    assert _roles(user) == [first]


def test_the_check_holds_when_the_user_is_added_from_the_group_side(agency):
    auditor = staff_user(Role.AUDITOR, agency)

    with pytest.raises(ValidationError), transaction.atomic():
        Group.objects.get(name=Role.SYSADMIN).user_set.add(auditor)

    assert _roles(auditor) == [Role.AUDITOR]


def test_setting_the_groups_at_once_is_checked_too(agency):
    user = UserFactory(agency=agency, is_staff=True)

    with pytest.raises(ValidationError), transaction.atomic():
        user.groups.set(Group.objects.filter(name__in=[Role.SYSADMIN, Role.SECADMIN]))

    assert _roles(user) == []


def test_a_system_administrator_cannot_also_be_a_clerk(agency):
    sysadmin = staff_user(Role.SYSADMIN, agency)

    with pytest.raises(ValidationError), transaction.atomic():
        sysadmin.groups.add(Group.objects.get(name=Role.CLERK))

    assert not sysadmin.has_perm("cases.process_case")


@pytest.mark.parametrize("permission", DECIDING)
def test_a_system_administrator_cannot_be_given_a_deciding_permission_directly(agency, permission):
    sysadmin = staff_user(Role.SYSADMIN, agency)

    with pytest.raises(ValidationError), transaction.atomic():
        sysadmin.user_permissions.add(_perm(permission))

    assert not sysadmin.user_permissions.exists()


def test_a_user_with_a_deciding_permission_cannot_become_system_administrator(agency):
    user = UserFactory(agency=agency, is_staff=True)
    user.user_permissions.add(_perm("cases.sign_off_case"))

    with pytest.raises(ValidationError), transaction.atomic():
        user.groups.add(Group.objects.get(name=Role.SYSADMIN))

    assert _roles(user) == []


def test_the_administrator_groups_cannot_gain_a_deciding_permission():
    with pytest.raises(ValidationError), transaction.atomic():
        Group.objects.get(name=Role.SYSADMIN).permissions.add(_perm("cases.review_case"))


def test_ordinary_role_combinations_stay_allowed(agency):
    user = staff_user(Role.CLERK, agency)

    user.groups.add(Group.objects.get(name=Role.REVIEWER))

    assert _roles(user) == [Role.CLERK, Role.REVIEWER]


def _change_form(user, groups):
    return {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_staff": "on",
        "groups": [g.pk for g in groups],
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
        "agency": user.agency_id,
    }


def test_the_admin_user_form_refuses_two_administrator_roles_with_a_message(admin_client, agency):
    user = staff_user(Role.SYSADMIN, agency)
    groups = Group.objects.filter(name__in=[Role.SYSADMIN, Role.AUDITOR])

    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]), _change_form(user, groups)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["groups"]
    assert _roles(user) == [Role.SYSADMIN]


def test_the_admin_user_form_saves_an_allowed_change(admin_client, agency):
    user = staff_user(Role.CLERK, agency)
    groups = Group.objects.filter(name__in=[Role.CLERK, Role.REVIEWER])

    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]), _change_form(user, groups)
    )

    assert response.status_code == 302
    assert _roles(user) == [Role.CLERK, Role.REVIEWER]


def test_the_admin_group_form_refuses_a_deciding_permission_with_a_message(admin_client):
    auditor = Group.objects.get(name=Role.AUDITOR)
    before = set(auditor.permissions.values_list("pk", flat=True))

    response = admin_client.post(
        reverse("admin:auth_group_change", args=[auditor.pk]),
        {"name": auditor.name, "permissions": [*before, _perm("cases.process_case").pk]},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["permissions"]
    assert set(auditor.permissions.values_list("pk", flat=True)) == before


def test_the_admin_group_form_refuses_a_member_who_holds_an_administrator_role(
    admin_client, agency
):
    team = Group.objects.create(name="team")
    staff_user(Role.SECADMIN, agency).groups.add(team)

    response = admin_client.post(
        reverse("admin:auth_group_change", args=[team.pk]),
        {"name": "team", "permissions": [_perm("cases.review_case").pk]},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["permissions"]
    assert not team.permissions.exists()
