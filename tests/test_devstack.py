"""The helpers behind ./bin/run and ./bin/test (scripts/devstack.py, scripts/checks.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from config.env import StrictEnv
from scripts import checks, children, devstack


def _alive(pid: int) -> bool:
    # A negative pid asks about the whole process group, as kill(2) does.
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    "socket_dir",
    ["/work/main/.var/pgdata", "/home/li wei/my+portal/.var/pgdata"],
)
def test_the_socket_url_reaches_django_as_socket_dir_and_name(socket_dir: str) -> None:
    url = devstack.postgres_socket_url(Path(socket_dir), "portal")

    config = StrictEnv().db_url_config(url)

    assert url.startswith("postgres://")
    assert config["HOST"] == socket_dir
    assert config["NAME"] == "portal"
    assert config["USER"] == "postgres"
    assert config["ENGINE"] == "django.db.backends.postgresql"


def test_the_redis_socket_url_names_the_socket_file() -> None:
    assert devstack.redis_socket_url(Path("/srv/x/redis.socket")) == (
        "redis+socket:///srv/x/redis.socket"
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://u:secret@db:5432/p", "postgres://u:***@db:5432/p"),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("postgres://postgres@127.0.0.1:5432/portal", "postgres://postgres@127.0.0.1:5432/portal"),
        ("redis+socket:///tmp/r.sock", "redis+socket:///tmp/r.sock"),
    ],
)
def test_printed_urls_hide_passwords(url: str, shown: str) -> None:
    assert devstack.redact_url(url) == shown


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:1", ("127.0.0.1", 1)),
        ("db.internal", ("db.internal", 5432)),
        ("[::1]:6000", ("::1", 6000)),
    ],
)
def test_probe_addresses_are_host_and_port(value: str, expected: tuple[str, int]) -> None:
    assert devstack.parse_hostport(value, 5432) == expected


def test_nothing_on_a_closed_port_counts_as_a_server() -> None:
    assert not devstack.postgres_answers("127.0.0.1", 1)
    assert not devstack.redis_answers("127.0.0.1", 1)
    assert not devstack.web_answers(1)


def test_env_files_are_read_like_shell_exports(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# a comment\n\nA=1\nexport B='two words'\nC=\"x=y\"\nD=\n", encoding="utf-8"
    )

    assert checks.parse_env_file(env_file) == {"A": "1", "B": "two words", "C": "x=y", "D": ""}


def test_the_example_env_file_selects_production_settings() -> None:
    values = checks.parse_env_file(devstack.REPO / ".env.example")

    assert values["DJANGO_SETTINGS_MODULE"] == "config.settings.production"


def test_pytests_closing_line_is_found_under_later_output() -> None:
    output = "tests/x.py ..F\n===== 1 failed, 2 passed in 0.52s =====\nsomething after\n"

    assert checks.closing_line(output) == "===== 1 failed, 2 passed in 0.52s ====="
    assert checks.closing_line("19 passed, 1 warning in 3.20s\n") == "19 passed, 1 warning in 3.20s"
    assert checks.closing_line("= no tests ran in 0.01s =\n") == "= no tests ran in 0.01s ="
    assert checks.closing_line("it ran in 3s\nno summary here\n") is None


def test_stopping_children_also_ends_their_own_children() -> None:
    child = children.spawn("sleeper", ["bash", "-c", "sleep 300 & wait"], os.environ)
    time.sleep(0.3)
    group = child.proc.pid

    children.stop_children([child], grace=2)

    assert child.proc.returncode is not None
    assert _wait_gone(-group)


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_time() -> None:
    script = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"
    child = children.spawn("stubborn", [sys.executable, "-c", script], os.environ)
    time.sleep(0.5)

    children.stop_children([child], grace=0.5)

    assert child.proc.returncode == -signal.SIGKILL


def test_embedded_postgres_starts_creates_the_database_and_stops(tmp_path: Path) -> None:
    postgres = devstack.start_postgres(tmp_path / "pgdata")
    pid = postgres.server.get_pid()
    try:
        devstack.ensure_database("portal", host=str(postgres.socket_dir))
        devstack.ensure_database("portal", host=str(postgres.socket_dir))

        with psycopg.connect(host=str(postgres.socket_dir), user="postgres", dbname="portal") as c:
            assert c.execute("SELECT current_database()").fetchone() == ("portal",)
    finally:
        postgres.stop()

    assert pid is not None
    assert _wait_gone(pid)


def test_embedded_redis_keeps_its_data_across_restarts(tmp_path: Path) -> None:
    redis = devstack.start_redis(tmp_path / "redis" / "redis.db")
    pid = redis.client.pid
    redis.client.set("kept", "yes")
    redis.stop()
    assert _wait_gone(pid)

    again = devstack.start_redis(tmp_path / "redis" / "redis.db")
    try:
        assert again.client.get("kept") == b"yes"
    finally:
        again.stop()


def test_a_second_holder_of_the_run_lock_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "run.lock"
    script = (
        "import sys; from pathlib import Path; from scripts import devstack\n"
        "with devstack.exclusive(Path(sys.argv[1]), 'x'): pass"
    )

    with devstack.exclusive(lock, "first"):
        second = subprocess.run(  # noqa: S603 - our own interpreter, fixed argv
            [sys.executable, "-c", script, str(lock)],
            cwd=devstack.REPO,
            capture_output=True,
            text=True,
            check=False,
        )

    assert second.returncode == 1
    assert f"already running (pid {os.getpid()})" in second.stderr


def test_runs_on_their_own_database_and_redis_take_no_lock(tmp_path: Path, monkeypatch) -> None:
    """Two deployments side by side from one checkout (README.md): neither starts an embedded
    server, so neither holds the lock that guards them; a run that would start one does."""
    monkeypatch.setattr(devstack, "VAR", tmp_path)
    both = {"DATABASE_URL": "postgres://x/a", "CELERY_BROKER_URL": "redis://x/4"}

    with devstack.run_lock(both), devstack.run_lock(both):
        pass
    with devstack.run_lock({"DATABASE_URL": "postgres://x/a"}):
        assert (tmp_path / "run.lock").read_text().strip() == str(os.getpid())


def test_the_procfile_runs_the_web_server_a_worker_and_beat() -> None:
    processes = devstack.procfile_processes()

    assert list(processes) == ["web", "worker", "beat"]
    assert "gunicorn config.wsgi:application" in processes["web"]
    assert "${PORT:-8000}" in processes["web"]
    assert "celery -A config worker" in processes["worker"]
    assert "celery -A config beat" in processes["beat"]


def test_when_a_process_dies_the_rest_stop_and_the_dead_one_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    procfile = tmp_path / "Procfile"
    procfile.write_text("steady: sleep 60\nfragile: sleep 0.5; exit 3\n")
    before = signal.getsignal(signal.SIGINT)

    code = devstack.run_procfile(os.environ, 1, "", time.monotonic(), procfile=procfile)

    out = capsys.readouterr().out
    assert code == 1
    assert "fragile exited unexpectedly (exit code 3)" in out
    assert "steady stopped" in out
    assert signal.getsignal(signal.SIGINT) is before


# --- the demo ---------------------------------------------------------------------------------

DEMO_PAGES = """
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
from django.conf import settings
client = Client()
missing = client.get("/no-such-page/")
style = client.get("/static/css/portal.css")
body = missing.content.decode()
print(settings.DEBUG, missing.status_code, "not-found" in body, "URLconf" in body)
print(style.status_code, style["Content-Type"])
"""


def _pages_under(settings_module: str) -> list[str]:
    result = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", DEMO_PAGES],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, "DEBUG": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_the_demo_shows_the_portals_own_404_page_and_still_serves_its_styles() -> None:
    debug_page, style = _pages_under("config.settings.demo")

    assert debug_page == "False 404 True False"
    assert style.startswith("200 text/css")


def test_development_settings_alone_would_show_djangos_technical_404() -> None:
    debug_page, _style = _pages_under("config.settings.local")

    assert debug_page == "True 404 False True"


def test_bin_run_uses_the_demo_settings_unless_told_otherwise() -> None:
    assert devstack.run_environment({}, 8000)["DJANGO_SETTINGS_MODULE"] == "config.settings.demo"
    chosen = {"DJANGO_SETTINGS_MODULE": "config.settings.local"}
    assert devstack.run_environment(chosen, 8000)["DJANGO_SETTINGS_MODULE"] == (
        "config.settings.local"
    )


def test_the_demo_logins_come_once_after_every_process_has_started(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _free_port()
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        f"web: {sys.executable} -m http.server {port} --bind 127.0.0.1\n"
        "worker: sleep 1; echo 'celery@demo ready.'; echo 'a task'; sleep 60\n"
        "beat: sleep 2; echo 'beat: Starting...'; sleep 0.5; echo 'beat: Acquired lock'; sleep 60\n"
        "stopper: sleep 6\n"
    )

    devstack.run_procfile(os.environ, port, "alice Demo@2026", time.monotonic(), procfile=procfile)

    out = capsys.readouterr().out
    assert out.count("alice Demo@2026") == 1
    logins = out.index("Demo logins")
    assert logins > out.index("celery@demo ready.")
    assert logins > out.index("beat: Acquired lock")
    assert logins > out.index("a task")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
