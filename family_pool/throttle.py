"""How many requests one institution's key may make: a fixed window counted in Redis
(cases.ratelimit), so that every web process sees the same count.

django-ninja's `SimpleRateThrottle` keeps the history of each key as a list that it reads and
writes back whole: two processes reading at once both write their own list, and one request
goes uncounted, and at the rates an institution may use (thousands a minute) the list is
thousands of timestamps moved on every request. A counter that Redis increments in place loses
nothing and stays one number, in one round trip per charge."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from cases.ratelimit import parse_rate, window_count

logger = logging.getLogger(__name__)


class InstitutionRateThrottle(BaseThrottle):
    """`settings.CHARGING_API_RATE` per institution (read per request, never at import)."""

    def allow_request(self, request: HttpRequest) -> bool:
        institution = getattr(request, "auth", None)
        if institution is None:  # authentication refuses it before us; nothing to count
            return True
        limit, seconds = parse_rate(settings.CHARGING_API_RATE)
        try:
            count, self.retry_after = window_count(f"throttle:charging:{institution.pk}", seconds)
        except Exception:  # Redis down: charging goes on, uncounted, rather than stop
            logger.warning("charging throttle: the cache is unavailable", exc_info=True)
            self.retry_after = 0.0
            return True
        return count <= limit

    def wait(self) -> float:
        return self.retry_after
