"""Sign-in with a username (staff), an ID number or a mobile number (applicants).

The backend is also django-axes' lockout check, so that AUTHENTICATION_BACKENDS keeps one
entry (`login(request, user)` needs no backend argument) and axes counts the failures against
the name as it was typed (`accounts.lockout.axes_username`)."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesBackend, AxesStandaloneBackend
from django.http import HttpRequest

from accounts.idnumbers import normalize_id_number
from accounts.models import User
from accounts.validators import has_id_number_shape, is_mobile


def find_user(identifier: str) -> User | None:
    value = identifier.strip()
    if is_mobile(value):
        return User.objects.filter(mobile=value).first()
    id_number = normalize_id_number(value)
    if has_id_number_shape(id_number):
        return User.objects.filter(person__id_number=id_number).first()
    return User.objects.filter(username=value).first()


class IdentifierBackend(AxesBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        # Raises PermissionDenied while this name and address are locked out (AXES_ENABLED).
        AxesStandaloneBackend.authenticate(
            self, request, username=username, password=password, **kwargs
        )
        if username is None or password is None:
            return None
        user = find_user(username)
        if user is None:
            # Same cost as a real check, so timing does not tell which identifiers exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
