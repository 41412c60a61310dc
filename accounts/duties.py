"""Separation of duties (三员分立): system administrator, auditor and security administrator
are three different people, and none of them decides a case. Checked on every change of
roles and permissions, from either side of the relation (`connect_signals`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed
from django.utils.translation import gettext

from accounts.models import User
from accounts.roles import Role

EXCLUSIVE_ROLES = ("sysadmin", "auditor", "secadmin")
CASE_DECISION_PERMISSIONS = ("cases.process_case", "cases.review_case", "cases.sign_off_case")


def duty_conflicts(*, roles: Iterable[str], permissions: Iterable[str]) -> list[str]:
    held = sorted(set(EXCLUSIVE_ROLES) & set(roles))
    labels = [str(Role(name).label) for name in held]
    problems = []
    if len(held) > 1:
        problems.append(
            gettext(
                "The system administrator, auditor and security administrator roles must be "
                "held by different people; this user would hold: %(roles)s."
            )
            % {"roles": ", ".join(labels)}
        )
    deciding = sorted(set(CASE_DECISION_PERMISSIONS) & set(permissions))
    if held and deciding:
        problems.append(
            gettext("The %(role)s role decides no case, so it cannot come with %(permissions)s.")
            % {"role": labels[0], "permissions": ", ".join(deciding)}
        )
    return problems


def _names(permissions: Iterable[Permission]) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions}


def check_separation_of_duties(
    *, groups: Iterable[Group], permissions: Iterable[Permission]
) -> None:
    """Raise ValidationError if a user with these groups and direct permissions would break
    the separation of duties."""
    groups = list(groups)
    granted = _names(permissions) | _names(
        Permission.objects.filter(group__in=groups).select_related("content_type")
    )
    problems = duty_conflicts(roles=[g.name for g in groups], permissions=granted)
    if problems:
        raise ValidationError(problems, code="separation_of_duties")


def _check_user(
    user: User, *, add_groups: Iterable[Group] = (), add_perms: Iterable[Any] = ()
) -> None:
    check_separation_of_duties(
        groups=[*user.groups.all(), *add_groups],
        permissions=[*user.user_permissions.select_related("content_type"), *add_perms],
    )


def on_user_groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: Any, **kw: Any
) -> None:
    """m2m_changed on User.groups: refuses the add before it is written, from either side."""
    if action != "pre_add" or not pk_set:
        return
    if not reverse:  # user.groups.add(group, ...)
        _check_user(instance, add_groups=Group.objects.filter(pk__in=pk_set))
        return
    for user in User.objects.filter(pk__in=pk_set):  # group.user_set.add(user, ...)
        _check_user(user, add_groups=[instance])


def on_user_permissions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: Any, **kw: Any
) -> None:
    """m2m_changed on User.user_permissions: a direct permission counts like a role's."""
    if action != "pre_add" or not pk_set:
        return
    if not reverse:
        added = Permission.objects.filter(pk__in=pk_set).select_related("content_type")
        _check_user(instance, add_perms=added)
        return
    for user in User.objects.filter(pk__in=pk_set):
        _check_user(user, add_perms=[instance])


def on_group_permissions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: Any, **kw: Any
) -> None:
    """m2m_changed on Group.permissions: a group gaining a deciding permission must not give
    it to a member who holds an administrator role."""
    if action != "pre_add" or not pk_set or reverse:
        return
    check_group_permissions(
        instance, Permission.objects.filter(pk__in=pk_set).select_related("content_type")
    )


def check_group_permissions(group: Group, permissions: Iterable[Permission]) -> None:
    """Raise ValidationError if the group gaining these permissions would give a deciding
    permission to an administrator role, or to a member who holds one."""
    added = list(permissions)
    if not set(CASE_DECISION_PERMISSIONS) & _names(added):
        return
    if group.name in EXCLUSIVE_ROLES:
        raise ValidationError(duty_conflicts(roles=[group.name], permissions=_names(added)))
    if group.pk is None:
        return
    # Only a member holding an administrator role can conflict (two filters: two joins).
    members = User.objects.filter(groups=group).filter(groups__name__in=EXCLUSIVE_ROLES)
    for user in members.distinct():
        _check_user(user, add_perms=added)


def connect_signals() -> None:
    m2m_changed.connect(
        on_user_groups_changed, sender=User.groups.through, dispatch_uid="duties.user_groups"
    )
    m2m_changed.connect(
        on_user_permissions_changed,
        sender=User.user_permissions.through,
        dispatch_uid="duties.user_permissions",
    )
    m2m_changed.connect(
        on_group_permissions_changed,
        sender=Group.permissions.through,
        dispatch_uid="duties.group_permissions",
    )
