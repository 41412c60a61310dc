"""How often one address may ask a public page something (the verification page's lookups):
a fixed window counted in the shared cache, so that every web process sees the same count.

Signing in has its own lockout (django-axes, per name and address); a page anyone may open
without an account has no name to count against, only the address. The window is fixed, so an
address may make up to twice the rate across a window's edge: enough to make guessing a code
hopeless, never a nuisance to someone checking a few tables."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.http import HttpRequest

from accounts.client import client_ip

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "30/min" -> (30, 60): requests, per how many seconds."""
    count, _, period = rate.partition("/")
    return int(count), _UNITS[period.strip()[:1]]


def allowed(request: HttpRequest, *, scope: str, rate: str) -> bool:
    """Count this request against its address; False once the window's count passes `rate`.
    With the cache down the page answers, uncounted, rather than fail for everyone."""
    limit, seconds = parse_rate(rate)
    window = int(time.time() // seconds)
    key = f"ratelimit:{scope}:{client_ip(request) or 'unknown'}:{seconds}:{window}"
    try:
        cache.add(key, 0, timeout=seconds + 1)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001 - any cache failure: serve, uncounted
        logger.warning("rate limit %s: the cache is unavailable", scope, exc_info=True)
        return True
    return int(count) <= limit
