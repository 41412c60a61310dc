"""Login lockout (django-axes): which sign-in name the failures count against, and what the
locked-out person sees. The client address is `accounts.client.client_ip`."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.idnumbers import normalize_id_number
from accounts.masking import mask_sensitive


def login_identifier_key(typed: str | None) -> str | None:
    """What the lockout counts against: the sign-in name as typed (mobile, ID number or
    username), normalised so that "11010519491231002x" and "110105 19491231 002X" are one key.
    An ID number is kept as its masked form plus a keyed hash: the lockout table never holds
    a full ID number, yet two people never share a key."""
    if typed is None:
        return None
    value = typed.strip()
    id_number = normalize_id_number(value)
    if re.fullmatch(r"\d{17}[\dX]", id_number):
        digest = hmac.new(settings.SECRET_KEY.encode(), id_number.encode(), hashlib.sha256)
        return f"id:{mask_sensitive(id_number)}:{digest.hexdigest()[:12]}"
    return value[:255]


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE. The login form's typed name comes first: after a successful
    login axes passes the account's username instead, and the reset must hit the same key
    that the failures were counted under."""
    typed = None
    if request is not None and request.method == "POST":
        typed = request.POST.get("username")
    if typed is None and credentials:
        typed = credentials.get("username")
    return login_identifier_key(typed)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a page in the user's language saying how long to wait."""
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 0
    return render(
        request,
        "accounts/lockout.html",
        {"minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
