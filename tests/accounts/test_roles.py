from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts.roles import Role, all_role_permissions, sync_roles
from tests.accounts.factories import AgencyFactory, staff_user

pytestmark = pytest.mark.django_db


def test_every_role_is_a_group_with_all_its_permissions():
    for role in Role:
        group = Group.objects.get(name=role.value)
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }

        assert granted == set(all_role_permissions()[role])


def test_the_system_administrator_reads_no_money_and_the_auditor_changes_nothing():
    agency = AgencyFactory()
    admin = staff_user(Role.SYSADMIN, agency)
    auditor = staff_user(Role.AUDITOR, agency)

    assert admin.has_perm("accounts.change_regionpolicy")
    assert not admin.has_perm("accounts.view_ledgerentry")
    assert not admin.has_perm("accounts.view_insuredperson")
    assert auditor.has_perm("accounts.view_ledgerentry")
    assert not any(
        p.split(".")[1].startswith(("add_", "change_", "delete_"))
        for p in auditor.get_all_permissions()
    )


def test_syncing_again_restores_a_removed_permission():
    clerk = Group.objects.get(name=Role.CLERK)
    clerk.permissions.clear()

    sync_roles()

    assert clerk.permissions.count() == len(all_role_permissions()[Role.CLERK])
