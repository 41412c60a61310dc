"""Which client sent a request: the address the lockout counts and the audit log records."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT reverse proxies that
    each append to X-Forwarded-For, the entry the outermost trusted proxy appended. Entries
    further left are whatever the client sent and are never trusted."""
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if count:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= count and _is_ip(hops[-count]):
            return hops[-count]
    remote = str(request.META.get("REMOTE_ADDR") or "")
    return remote if _is_ip(remote) else None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
