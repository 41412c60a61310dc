"""What several processes on several machines must share is configured to be shared."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import redis_db, redis_url


@pytest.mark.parametrize(
    ("broker", "db", "expected"),
    [
        ("redis://127.0.0.1:6379/8", 9, "redis://127.0.0.1:6379/9"),
        ("redis://:secret@redis.internal", 1, "redis://:secret@redis.internal/1"),
        ("rediss://u:p@h:6380/3?ssl_cert_reqs=none", 4, "rediss://u:p@h:6380/4?ssl_cert_reqs=none"),
        ("redis+socket:///tmp/r/redis.socket", 1, "unix:///tmp/r/redis.socket?db=1"),
        ("redis+socket:///tmp/r.sock?virtual_host=3", None, "unix:///tmp/r.sock?db=3"),
    ],
)
def test_a_broker_url_becomes_a_redis_url_on_the_database_asked(broker, db, expected):
    assert redis_url(broker, db=db) == expected


@pytest.mark.parametrize(
    ("url", "db"),
    [
        ("redis://h:6379/7", 7),
        ("redis://h:6379", 0),
        ("redis+socket:///tmp/r.sock", 0),
        ("redis+socket:///tmp/r.sock?virtual_host=5", 5),
        ("unix:///tmp/r.sock?db=2", 2),
    ],
)
def test_the_database_number_is_read_in_either_spelling(url, db):
    assert redis_db(url) == db


def test_a_broker_that_is_not_redis_is_refused_without_its_password():
    with pytest.raises(ImproperlyConfigured) as error:
        redis_url("amqp://user:secret@rabbit:5672//")

    assert "secret" not in str(error.value)


def test_the_cache_is_redis_on_another_database_than_the_broker():
    location = settings.CACHES["default"]["LOCATION"]

    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis_db(location) != redis_db(settings.CELERY_BROKER_URL)


def test_sessions_live_where_every_process_reads_them():
    assert settings.SESSION_ENGINE in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    )


def test_the_beat_scheduler_is_the_one_with_the_lock():
    assert settings.CELERY_BEAT_SCHEDULER == "redbeat.RedBeatScheduler"
    assert settings.CELERY_REDBEAT_LOCK_TIMEOUT == settings.BEAT_LOCK_TTL_SECONDS
    # The holder renews, and a waiting beat looks again, several times per lease.
    assert settings.CELERY_BEAT_MAX_LOOP_INTERVAL * 3 <= settings.BEAT_LOCK_TTL_SECONDS
