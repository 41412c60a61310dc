"""People as case pages name them: staff by their name and role ("王芳（受理员）"), applicants
by the insured person's name, never by a login name such as "applicant-81"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from accounts.models import User

# The role a history line names, the one that decides most first (a supervisor is also a
# clerk and a reviewer by permission, but signs as supervisor).
ROLE_WORDS = {
    "supervisor": gettext_lazy("Section chief"),
    "reviewer": gettext_lazy("Second reviewer"),
    "clerk": gettext_lazy("Intake clerk"),
    "auditor": gettext_lazy("Auditor"),
    "secadmin": gettext_lazy("Security administrator"),
    "sysadmin": gettext_lazy("System administrator"),
}


def staff_name(user: User) -> str:
    """A member of staff's name (`User.get_full_name`: 王芳 family name first); the login
    name only when no name is on record."""
    return user.get_full_name() or user.get_username()


def role_word(user: User) -> str:
    """The user's role in a word, from their groups (prefetch `groups` for a list)."""
    names = {group.name for group in user.groups.all()}
    for role, word in ROLE_WORDS.items():
        if role in names:
            return str(word)
    return ""


def who(user: User | None, *, system: str = "") -> str:
    """ "王芳（受理员）" for staff, "张三（申请人）" for an applicant, the system otherwise."""
    if user is None:
        return system or _("system")
    person = user.person if user.person_id is not None else None
    if person is not None:
        return _("%(name)s (applicant)") % {"name": person.name}
    role = role_word(user)
    name = staff_name(user)
    return _("%(name)s (%(role)s)") % {"name": name, "role": role} if role else name
