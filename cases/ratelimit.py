"""Fixed-window counters in the shared cache (Redis), so that every web process sees the same
count: the charging API's throttle per institution (family_pool.throttle) and the lookups per
address on public pages (the verification page).

A counter that Redis increments in place loses nothing and stays one number. The window is
fixed, so a client may make up to twice the rate across a window's edge: acceptable for a
guard against a runaway loop or someone guessing codes, never a nuisance to real use.

Signing in has its own lockout (django-axes, per name and address); a page anyone may open
without an account has no name to count against, only the address."""

from __future__ import annotations

import functools
import logging
import time

import redis
from django.conf import settings
from django.http import HttpRequest

from accounts.client import client_ip

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "3000/min" -> (3000, 60): requests, per how many seconds."""
    count, _, period = rate.partition("/")
    return int(count), _UNITS[period.strip()[:1]]


def window_count(key: str, seconds: int) -> tuple[int, float]:
    """This request counted in the current window of `key`: the window's count so far, and the
    seconds until the window ends. Raises when the cache cannot be reached."""
    now = time.time()
    window = int(now // seconds)
    count = _increment(f"{key}:{seconds}:{window}", timeout=seconds + 1)
    return count, seconds - (now - window * seconds)


@functools.cache
def _redis() -> redis.Redis:
    """The cache's Redis, one connection pool per process."""
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


def _increment(key: str, *, timeout: int) -> int:
    """The window's count after this request, in one round trip: INCR creates the counter at
    1 when absent, and EXPIRE NX gives it its lifetime only then (Django's cache.incr would
    ask EXISTS first: two round trips on every request)."""
    prefixed = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:{key}"
    pipe = _redis().pipeline(transaction=False)
    pipe.incr(prefixed)
    pipe.expire(prefixed, timeout, nx=True)
    count, _ = pipe.execute()
    return int(count)


def allowed(request: HttpRequest, *, scope: str, rate: str) -> bool:
    """Count this request against its address; False once the window's count passes `rate`.
    With the cache down the page answers, uncounted, rather than fail for everyone."""
    limit, seconds = parse_rate(rate)
    try:
        count, _ = window_count(f"ratelimit:{scope}:{client_ip(request) or 'unknown'}", seconds)
    except Exception:  # noqa: BLE001 - any cache failure: serve, uncounted
        logger.warning("rate limit %s: the cache is unavailable", scope, exc_info=True)
        return True
    return count <= limit
