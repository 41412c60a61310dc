"""Real portal processes for tests: web servers, Celery workers and beats as subprocesses
against the test database, each logging to its own file, and a small HTTP client."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from scripts import children

REPO = Path(__file__).resolve().parent.parent.parent


def database_url(db: Mapping[str, Any]) -> str:
    """A DATABASE_URL for the database Django is connected to (the test database)."""
    user = quote(str(db.get("USER") or "postgres"), safe="")
    password = db.get("PASSWORD")
    auth = f"{user}:{quote(str(password), safe='')}" if password else user
    name = quote(str(db["NAME"]), safe="")
    host = str(db.get("HOST") or "")
    if host.startswith("/"):  # a unix socket directory, as the embedded PostgreSQL has
        return f"postgres://{auth}@/{quote(host)}/{name}"
    return f"postgres://{auth}@{host or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole group: the process dies as a machine losing power would."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


@dataclass
class Stack:
    """Processes started for one test; `stop` ends them all (the fixture calls it)."""

    env: dict[str, str]
    logs: Path
    processes: list[Process] = field(default_factory=list)

    def start(
        self,
        name: str,
        argv: list[str],
        port: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Process:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(  # noqa: S603 - our interpreter, fixed argv
                argv,
                cwd=REPO,
                env={**self.env, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                # Own group, so that a kill reaches a worker's pool processes too, and the
                # kernel's SIGTERM if pytest itself is killed.
                start_new_session=True,
                preexec_fn=children._parent_death_hook(),  # noqa: PLW1509 - only prctl
            )
        process = Process(name, proc, log, port)
        self.processes.append(process)
        return process

    def web(self, name: str) -> Process:
        port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
        argv += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
        argv += ["--access-logfile", "-", "--no-control-socket"]
        return self.start(name, argv, port)

    def worker(self, name: str, queue: str) -> Process:
        argv = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO"]
        # Its own queue besides the shared one, so a test can hand work to this worker.
        argv += ["--concurrency=2", "-n", f"{name}@%h", "-Q", f"celery,{queue}"]
        return self.start(name, [*argv, "--without-mingle", "--without-gossip"])

    def beat(self, name: str) -> Process:
        argv = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"]
        return self.start(name, argv)

    def stop(self) -> None:
        running = [children.Child(p.name, p.proc) for p in self.processes]
        children.stop_children(running, grace=5.0)

    def describe(self) -> str:
        """Every log's tail, for the failure message of a test that timed out."""
        return "\n".join(f"--- {p.name} ---\n{p.text()[-3000:]}" for p in self.processes)


def stack_env(
    *, database: Mapping[str, Any], broker_url: str, redis_url: str, cache_prefix: str
) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(database),
        "CELERY_BROKER_URL": broker_url,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": cache_prefix,
        # A schedule and lock of this test's own: a leftover from another run cannot hold it.
        "BEAT_KEY_PREFIX": f"test:beat:{uuid.uuid4().hex}:",
        "PYTHONUNBUFFERED": "1",
    }


def wait_for(what: str, check: Callable[[], Any], stack: Stack, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in stack.processes:
            code = process.proc.poll()
            if code is not None and code != -signal.SIGKILL:
                raise AssertionError(f"{process.name} exited ({code})\n{stack.describe()}")
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{stack.describe()}")


def answers(port: int) -> bool:
    try:
        return Client(port).get("/login/").status == 200
    except OSError:
        return False


# --- HTTP ----------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Client:
    """A browser's part of HTTP: one cookie jar, no redirects followed. Give it another
    port to talk to another server with the same cookies."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, path: str) -> Response:
        return self._request("GET", path, b"", {})

    def post(
        self,
        path: str,
        fields: Mapping[str, str],
        files: Iterable[tuple[str, str, str, bytes]] = (),
    ) -> Response:
        files = list(files)
        if not files:
            body = urlencode(fields).encode()
            return self._request(
                "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
            )
        boundary = uuid.uuid4().hex
        body = _multipart(boundary, fields, files)
        content_type = f"multipart/form-data; boundary={boundary}"
        return self._request("POST", path, body, {"Content-Type": content_type})

    def _request(self, method: str, path: str, body: bytes, headers: Mapping[str, str]) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers={**headers, "Cookie": cookie})
            raw = conn.getresponse()
            response = Response(raw.status, dict(raw.getheaders()), raw.read())
            for value in raw.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            return response
        finally:
            conn.close()

    def login(self, username: str, password: str) -> Response:
        page = self.get("/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        assert token is not None, page.body[:500]
        fields = {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "username": username,
            "password": password,
        }
        return self.post("/login/", fields)


def _multipart(
    boundary: str, fields: Mapping[str, str], files: Iterable[tuple[str, str, str, bytes]]
) -> bytes:
    parts: list[bytes] = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(head.encode() + value.encode() + b"\r\n")
    for name, filename, content_type, content in files:
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)
