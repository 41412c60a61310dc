"""Staff roles (DOMAIN.md "Who uses it") as groups, with their permissions kept in code.

The groups are re-synchronised after every migrate so that a new model's permissions
reach the roles that need them without a hand-edited data migration.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("Clerk (first review)")
    REVIEWER = "reviewer", _("Reviewer (second review)")
    SUPERVISOR = "supervisor", _("Supervisor (sign-off)")
    AUDITOR = "auditor", _("Auditor")
    SYSADMIN = "sysadmin", _("System administrator")


_READ_CASE_DATA = [
    "accounts.view_region",
    "accounts.view_agency",
    "accounts.view_insuredperson",
    "accounts.view_enrollment",
    "accounts.view_personalaccount",
    "accounts.view_ledgertransaction",
    "accounts.view_ledgerentry",
    "accounts.view_regionpolicy",
    "cases.view_calendaroverride",
    "cases.view_calendaryear",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CLERK: [*_READ_CASE_DATA, "accounts.add_insuredperson", "accounts.change_insuredperson"],
    Role.REVIEWER: [*_READ_CASE_DATA],
    Role.SUPERVISOR: [*_READ_CASE_DATA, "accounts.reveal_id_number"],
    Role.AUDITOR: [*_READ_CASE_DATA, "accounts.view_user", "accounts.reveal_id_number"],
    # The system administrator runs users, regions, calendar and policies; no case data.
    Role.SYSADMIN: [
        "accounts.view_region",
        "accounts.add_region",
        "accounts.change_region",
        "accounts.view_agency",
        "accounts.add_agency",
        "accounts.change_agency",
        "accounts.view_regionpolicy",
        "accounts.add_regionpolicy",
        "accounts.change_regionpolicy",
        "accounts.delete_regionpolicy",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "auth.view_group",
        "cases.view_calendaroverride",
        "cases.add_calendaroverride",
        "cases.change_calendaroverride",
        "cases.delete_calendaroverride",
        "cases.view_calendaryear",
        "cases.add_calendaryear",
        "cases.change_calendaryear",
        "django_celery_beat.view_periodictask",
    ],
}


def sync_roles() -> None:
    from django.contrib.auth.models import Group, Permission

    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:  # absent while an app's tables are not migrated yet
                wanted.append(perm)
        group.permissions.set(wanted)


def sync_roles_after_migrate(**kwargs: Any) -> None:
    sync_roles()
