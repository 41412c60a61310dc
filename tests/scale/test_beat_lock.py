"""The beat lock against the real Redis, and the scheduler sending only while it holds it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler
from redis.backoff import NoBackoff
from redis.retry import Retry

from config.beat import LeaderDatabaseScheduler, RedisLeaderLock
from config.celery_app import app


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.BEAT_LOCK_URL)
    yield client
    client.close()


@pytest.fixture
def key(client: redis.Redis) -> Iterator[str]:
    key = f"test:beat-lock:{uuid.uuid4().hex}"
    yield key
    client.delete(key)


def test_only_one_of_two_beats_holds_the_lock(client, key):
    first, second = RedisLeaderLock(client, key, 5), RedisLeaderLock(client, key, 5)

    results = [first.hold(), second.hold(), first.hold(), second.hold()]

    assert results == [True, False, True, False]
    assert first.holder() == first.token


def test_holding_renews_the_lease(client, key):
    lock = RedisLeaderLock(client, key, 5)
    lock.hold()
    client.pexpire(key, 100)

    lock.hold()

    assert client.pttl(key) > 4000


def test_a_lock_left_by_a_dead_beat_expires_and_passes_on(client, key):
    dead, waiting = RedisLeaderLock(client, key, 0.2), RedisLeaderLock(client, key, 0.2)
    dead.hold()
    refused = waiting.hold()

    time.sleep(0.3)

    assert not refused
    assert waiting.hold()
    assert not dead.hold()


def test_only_the_holder_can_release(client, key):
    holder, other = RedisLeaderLock(client, key, 5), RedisLeaderLock(client, key, 5)
    holder.hold()

    other.release()
    still_held = holder.holder()
    holder.release()

    assert still_held == holder.token
    assert other.hold()


def test_a_beat_that_cannot_reach_redis_does_not_lead():
    nothing_listens = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    lock = RedisLeaderLock(nothing_listens, "any", 5)

    assert not lock.hold()


@pytest.fixture
def scheduler(settings, key, monkeypatch) -> Iterator[tuple[LeaderDatabaseScheduler, list[int]]]:
    """A scheduler whose database half only counts its ticks."""
    settings.BEAT_LOCK_KEY = key
    settings.BEAT_LOCK_TTL_SECONDS = 3
    ticks: list[int] = []
    monkeypatch.setattr(DatabaseScheduler, "tick", lambda self, *a, **k: ticks.append(1) or 2.0)
    beat = LeaderDatabaseScheduler(app=app, lazy=True)
    yield beat, ticks
    beat.lock.client.close()


def test_a_standby_beat_sends_nothing_and_waits_less_than_a_lease(scheduler, client, key):
    beat, ticks = scheduler
    client.set(key, "another beat", px=3000)

    wait = beat.tick()

    assert ticks == []
    assert 0 < wait <= 1.0


def test_the_leading_beat_runs_the_schedule_and_renews_in_time(scheduler, key, client):
    beat, ticks = scheduler

    wait = beat.tick()

    assert ticks == [1]
    assert wait <= 1.0
    assert client.get(key).decode() == beat.lock.token


def test_a_beat_that_lost_the_lock_stops_sending(scheduler, client, key):
    beat, ticks = scheduler
    beat.tick()
    client.set(key, "another beat", px=3000)

    beat.tick()

    assert ticks == [1]


def test_a_beat_shutting_down_hands_the_lock_over_at_once(scheduler, client, key):
    beat, _ticks = scheduler
    beat.tick()

    beat.close()

    assert client.get(key) is None
