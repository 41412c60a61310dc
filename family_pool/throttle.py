"""How many requests one institution's key may make: a fixed window counted in the shared
cache (Redis), so that every web process sees the same count.

django-ninja's `SimpleRateThrottle` keeps the history of each key as a list that it reads and
writes back whole: two processes reading at once both write their own list, and one request
goes uncounted, and at the rates an institution may use (thousands a minute) the list is
thousands of timestamps moved on every request. A counter that the cache increments in place
loses nothing and stays one number. The window is fixed, so a client may make up to twice the
rate across a window's edge: acceptable for a guard against a runaway client loop."""

from __future__ import annotations

import functools
import logging
import time

import redis
from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "3000/min" -> (3000, 60): requests, per how many seconds."""
    count, _, period = rate.partition("/")
    return int(count), _UNITS[period.strip()[:1]]


class InstitutionRateThrottle(BaseThrottle):
    """`settings.CHARGING_API_RATE` per institution (read per request, never at import)."""

    def allow_request(self, request: HttpRequest) -> bool:
        institution = getattr(request, "auth", None)
        if institution is None:  # authentication refuses it before us; nothing to count
            return True
        limit, seconds = parse_rate(settings.CHARGING_API_RATE)
        now = time.time()
        window = int(now // seconds)
        self.retry_after = seconds - (now - window * seconds)
        key = f"throttle:charging:{institution.pk}:{seconds}:{window}"
        try:
            count = _increment(key, timeout=seconds + 1)
        except Exception:  # Redis down: charging goes on, uncounted, rather than stop
            logger.warning("charging throttle: the cache is unavailable", exc_info=True)
            return True
        return count <= limit

    def wait(self) -> float:
        return self.retry_after


@functools.cache
def _redis() -> redis.Redis:
    """The cache's Redis, one connection pool per process."""
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


def _increment(key: str, *, timeout: int) -> int:
    """The window's count after this request, in one round trip: INCR creates the counter at
    1 when absent, and EXPIRE NX gives it its lifetime only then (Django's cache.incr would
    ask EXISTS first: two round trips on every charge)."""
    prefixed = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:{key}"
    pipe = _redis().pipeline(transaction=False)
    pipe.incr(prefixed)
    pipe.expire(prefixed, timeout, nx=True)
    count, _ = pipe.execute()
    return int(count)
