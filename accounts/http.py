"""The request of a signed-in user, as the views behind `login_required` (and the admin) see
it: `request.user` is the portal's `User`, not Django's `AbstractBaseUser | AnonymousUser`."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    user: User


def safe_next(request: HttpRequest, target: str, default: str) -> str:
    """Where a form asked to go back to (`next`): the target when it is a page of this site,
    `default` otherwise, so that no link can send someone elsewhere after a step."""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
