"""Staff roles (docs/DOMAIN.md, "Roles and who may do what") as groups, with their permissions
kept in code.

The groups are re-synchronised after every migrate so that a new model's permissions
reach the roles that need them without a hand-edited data migration.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("Clerk (first review)")
    REVIEWER = "reviewer", _("Reviewer (second review)")
    SUPERVISOR = "supervisor", _("Supervisor (sign-off)")
    AUDITOR = "auditor", _("Auditor")
    SYSADMIN = "sysadmin", _("System administrator")
    SECADMIN = "secadmin", _("Security administrator")


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

# Reading cases of the agency (every role but the system administrator).
_READ_CASES = [
    "cases.view_case",
    "cases.view_caseevent",
    "cases.view_document",
    "cases.view_deadline",
    "cases.view_notification",
    "accounts.view_accountfreeze",
]

# Each workflow app lists what its models add, in its own module, so apps don't edit here.
_WORKFLOW_ROLE_PERMISSIONS = (
    "transfers.roles.ROLE_PERMISSIONS",
    "family_pool.roles.ROLE_PERMISSIONS",
    "withdrawals.roles.ROLE_PERMISSIONS",
    "seals.roles.ROLE_PERMISSIONS",
)

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CLERK: [
        *_READ_CASE_DATA,
        *_READ_CASES,
        "accounts.add_insuredperson",
        "accounts.change_insuredperson",
        "cases.process_case",
    ],
    Role.REVIEWER: [*_READ_CASE_DATA, *_READ_CASES, "cases.review_case"],
    Role.SUPERVISOR: [
        *_READ_CASE_DATA,
        *_READ_CASES,
        "accounts.reveal_id_number",
        "accounts.export_personal_data",
        "cases.process_case",
        "cases.review_case",
        "cases.sign_off_case",
    ],
    Role.AUDITOR: [
        *_READ_CASE_DATA,
        *_READ_CASES,
        "accounts.view_user",
        "accounts.reveal_id_number",
        "accounts.export_personal_data",
        "audit.view_auditevent",
        "axes.view_accessattempt",
    ],
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
    ],
    # The security administrator unlocks sign-ins (axes attempts), resets second factors and
    # reads the audit log; decides no case and changes no user's roles (accounts.duties).
    Role.SECADMIN: [
        "accounts.view_user",
        "audit.view_auditevent",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accessfailurelog",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
    ],
}


def all_role_permissions() -> dict[str, list[str]]:
    """ROLE_PERMISSIONS plus what each workflow app's `roles.ROLE_PERMISSIONS` adds."""
    merged = {role: list(names) for role, names in ROLE_PERMISSIONS.items()}
    for dotted in _WORKFLOW_ROLE_PERMISSIONS:
        try:
            extra: dict[str, list[str]] = import_string(dotted)
        except ImportError:
            continue
        for role, names in extra.items():
            merged.setdefault(role, []).extend(names)
    return merged


def sync_roles() -> None:
    for role, names in all_role_permissions().items():
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


def role_label(group_name: str) -> str:
    """The words for a role's group ("受理员（初审）"); a group that is no role keeps its name.
    Groups are named by the role's code, which the code looks them up by."""
    return str(Role(group_name).label) if group_name in Role.values else group_name


_DEFAULT_PERMISSIONS = {
    "add": _("Can add %(name)s"),
    "change": _("Can change %(name)s"),
    "delete": _("Can delete %(name)s"),
    "view": _("Can view %(name)s"),
}


def permission_label(permission: Permission) -> str:
    """A permission in the page's language: "app | model | what it allows". Its stored name
    is in whatever language was active when migrate created it, so the words come from the
    model (its verbose name, its Meta.permissions) instead."""
    model = permission.content_type.model_class()
    if model is None:
        return str(permission)
    opts = model._meta
    action, _sep, rest = permission.codename.partition("_")
    if rest == opts.model_name and action in _DEFAULT_PERMISSIONS:
        name = _DEFAULT_PERMISSIONS[action] % {"name": opts.verbose_name}
    else:
        name = dict(opts.permissions).get(permission.codename, permission.name)
    return f"{opts.app_config.verbose_name} | {opts.verbose_name} | {name}"
