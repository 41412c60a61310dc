"""Which language a page is in: Chinese unless the visitor chose English with the language
switch (Django's set_language view), which stores the choice in the language cookie.

Pages have one address in every language; the cookie, not the URL, carries the choice, so a
typed or bookmarked address stays in the chosen language. The browser's Accept-Language is
not asked: the portal is Chinese for every new visitor, whatever the browser's own language.
The charging API (family_pool/api.py) answers machine clients in their Accept-Language."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme


def chosen_language(request: HttpRequest) -> str:
    """The language the cookie names, if the portal has it; else the portal's default."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie:
        try:
            return translation.get_supported_language_variant(cookie)
        except LookupError:
            pass
    return str(settings.LANGUAGE_CODE)


class RememberedLanguageMiddleware:
    """In place of Django's LocaleMiddleware, which would fall back on Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        # A shared cache must not hand one visitor's English page to another.
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


def remember_english(request: HttpRequest, rest: str) -> HttpResponse:
    """An address from the time English pages lived under /en/: the same page, in English
    from now on. Only a path on this site is followed (`rest` is always one)."""
    target = "/" + rest
    if request.GET:
        target += "?" + request.GET.urlencode()
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        "en",
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
