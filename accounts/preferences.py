"""The reader's own settings that need no account: the large-text mode (适老化), remembered in a
cookie so that it holds before sign-in and on every page after it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_POST

from accounts.http import safe_next

TEXT_SIZE_COOKIE = "text_size"
LARGE = "large"
_ONE_YEAR = 365 * 24 * 3600


def large_text(request: HttpRequest) -> bool:
    return request.COOKIES.get(TEXT_SIZE_COOKIE) == LARGE


@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    """Switch the large-text mode on or off and go back to the page the switch was on."""
    response = HttpResponseRedirect(safe_next(request, request.POST.get("next", "/"), "/"))
    if request.POST.get("size") == LARGE:
        response.set_cookie(
            TEXT_SIZE_COOKIE,
            LARGE,
            max_age=_ONE_YEAR,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    else:
        response.delete_cookie(TEXT_SIZE_COOKIE, samesite="Lax")
    return response
