"""A beat scheduler that may run on several machines: only the holder of a Redis lock sends.

Every machine runs `celery beat` with this scheduler, so that losing one machine loses no
schedule. Each tick, a beat first takes or renews the lock (SET NX PX with its own token,
renewed by a compare-and-PEXPIRE script) and sends due tasks only while the lock is its own;
the others wait as standbys and try again every few seconds. A leader that stops cleanly
deletes the lock, so a standby takes over within a tick; one that dies leaves it to expire
after BEAT_LOCK_TTL_SECONDS.

Takeover does not resend what the old leader sent: the leader writes each entry's last run
to the database right after sending it, and a new leader reads the schedule afresh.

The lock is renewed before each task is sent and a tick sends at most one task, so two beats
could only both send if a leader stalled for the whole TTL between renewing and sending.
The tasks are idempotent besides (the sweep claims each reminder with a unique row).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import Any

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

# KEYS[1] the lock, ARGV[1] our token, ARGV[2] the new TTL in ms. Compare and act in one
# step: checking with GET then acting would let a lock that expired in between be touched.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLeaderLock:
    """A lease in Redis held by one process at a time; lost if not renewed within ttl."""

    def __init__(self, client: redis.Redis, key: str, ttl_seconds: float) -> None:
        self.client = client
        self.key = key
        self.ttl_ms = max(1, int(ttl_seconds * 1000))
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    def hold(self) -> bool:
        """Renew the lock if it is ours, else take it if free; whether we hold it now.

        A Redis error counts as not holding it: a beat that cannot prove it leads must not
        send (and could not reach the broker in that Redis either)."""
        try:
            if self._renew(keys=[self.key], args=[self.token, self.ttl_ms]):
                return True
            return bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))
        except redis.RedisError as exc:
            logger.warning("beat lock %s: Redis unavailable (%s); not sending", self.key, exc)
            return False

    def release(self) -> None:
        try:
            self._release(keys=[self.key], args=[self.token])
        except redis.RedisError as exc:
            logger.warning("beat lock %s: could not release (%s); it expires", self.key, exc)

    def holder(self) -> str | None:
        try:
            value = self.client.get(self.key)
        except redis.RedisError:
            return None
        return value.decode() if isinstance(value, bytes) else value


class LeaderDatabaseScheduler(DatabaseScheduler):
    """django-celery-beat's database scheduler, sending only while it holds the beat lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Write each entry's last run to the database as soon as it is sent (not every three
        # minutes): a beat taking over reads those rows and must not send the same run again.
        kwargs.setdefault("sync_every_tasks", 1)
        self._lock: RedisLeaderLock | None = None
        self._leading = False
        super().__init__(*args, **kwargs)

    @property
    def lock(self) -> RedisLeaderLock:
        # Made on first use, not in __init__: beat also builds a "lazy" scheduler only to
        # print its banner, which must not open connections.
        if self._lock is None:
            client = redis.Redis.from_url(
                settings.BEAT_LOCK_URL, socket_connect_timeout=2, socket_timeout=2
            )
            self._lock = RedisLeaderLock(
                client, settings.BEAT_LOCK_KEY, settings.BEAT_LOCK_TTL_SECONDS
            )
        return self._lock

    @property
    def renew_every(self) -> float:
        # Three renewals per lease: one slow Redis round trip does not lose the lock.
        return min(float(self.max_interval), settings.BEAT_LOCK_TTL_SECONDS / 3)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self.lock.hold():
            if self._leading:
                self._step_down()
            return self.renew_every
        if not self._leading:
            self._take_over()
        interval: float = super().tick(*args, **kwargs)
        return min(interval, self.renew_every)

    def apply_entry(self, entry: Any, producer: Any = None) -> None:
        # The line the multi-process test counts: who sent which entry, and when.
        logger.info("beat leader %s sends %s at %.3f", self.lock.token, entry.name, time.time())
        super().apply_entry(entry, producer=producer)

    def _take_over(self) -> None:
        logger.info("beat %s now leads (lock %s)", self.lock.token, self.lock.key)
        self._leading = True
        # Read the schedule afresh: the last runs the previous leader wrote, and any edits
        # made while this beat stood by. The heap is rebuilt from it on this tick, and a
        # change noticed while standing by must not rebuild it once more on the next one: that
        # rebuild would read entries whose last run the first send has not updated, and send
        # them again.
        self._initial_read = True
        self._heap = None
        self._heap_invalidated = False

    def _step_down(self) -> None:
        logger.warning(
            "beat %s lost the lock to %s; standing by", self.lock.token, self.lock.holder()
        )
        self._leading = False
        # Whatever this beat meant to write is the new leader's business now.
        self._dirty.clear()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._lock is not None and self._leading:
                self.lock.release()
                self._leading = False
