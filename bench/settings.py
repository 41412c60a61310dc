"""The portal's settings plus the benchmark's own view (item 2.4's reference), for the
gunicorn that `python -m bench charging` starts: `DJANGO_SETTINGS_MODULE=bench.settings`.

BENCH_VIEWS mounts `bench/urls.py`'s view next to the portal's URLs; the `pgbench` database
is the scratch database `pgbench -i` filled (BENCH_PGBENCH_URL)."""

from __future__ import annotations

from config.env import env
from config.settings.local import *  # noqa: F403
from config.settings.local import DATABASES

DEBUG = env.bool("DEBUG", default=False)
BENCH_VIEWS = env.bool("BENCH_VIEWS", default=True)
ROOT_URLCONF = "bench.urls"
# Sixteen clients on one institution's key make about 430 charges/s (docs/PERFORMANCE.md, 2.4):
# the throttle is still counted on every request, but never refuses one.
CHARGING_API_RATE = env.str("CHARGING_API_RATE", default="1000000/min")
if env.str("BENCH_PGBENCH_URL", default=""):
    DATABASES["pgbench"] = env.db_url("BENCH_PGBENCH_URL")
    # The same connection settings as the portal's: kept for a minute, checked at the start of
    # each request (one `SELECT 1` round trip, which every portal request pays too).
    DATABASES["pgbench"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["pgbench"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_HEALTH_CHECKS"]
    DATABASES["pgbench"]["ATOMIC_REQUESTS"] = False

# Static files are served from the source folders: the manifest of `collectstatic` (which
# production builds) is not needed to time a page, only its lookup, which is a dict read.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
