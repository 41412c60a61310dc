"""The request of a signed-in user, as the views behind `login_required` (and the admin) see
it: `request.user` is the portal's `User`, not Django's `AbstractBaseUser | AnonymousUser`."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    user: User
