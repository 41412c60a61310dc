"""The steps behind ./bin/test: lint, types, migrations, the deploy check, then pytest.

Every step runs even after one fails, so a single run shows everything that is wrong; the exit
code is non-zero if any step failed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scripts import devstack

REPO = devstack.REPO
# pytest's closing line: "===== 3 failed, 120 passed in 41.20s =====", or without the rules
# under -q.
PYTEST_CLOSING_LINE = re.compile(
    r"^(=+ )?(\d+ \w+|no tests ran)(, \d+ \w+)* in [0-9.]+s( \([0-9:]+\))?( =+)?$"
)
PYTEST_NO_TESTS_COLLECTED = 5


@dataclass
class Result:
    name: str
    code: int
    seconds: float
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.code == 0


def parse_env_file(path: Path) -> dict[str, str]:
    """Read KEY=value lines as a shell would export them; blank lines and # comments skipped."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{path.name}: cannot read the line {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def closing_line(output: str) -> str | None:
    for line in reversed(output.splitlines()):
        if PYTEST_CLOSING_LINE.match(line.strip()):
            return line.strip()
    return None


def run_step(name: str, argv: Sequence[str], env: Mapping[str, str]) -> Result:
    print(f"\n==> {name}", flush=True)
    started = time.monotonic()
    code = subprocess.call(list(argv), cwd=REPO, env=dict(env))  # noqa: S603 - fixed argv
    return Result(name, code, time.monotonic() - started)


def run_pytest(args: Sequence[str], env: Mapping[str, str]) -> Result:
    """Run pytest, echoing its output live and keeping its closing line for the summary."""
    argv = [sys.executable, "-m", "pytest", *args]
    if sys.stdout.isatty() and not any(arg.startswith("--color") for arg in args):
        argv.append("--color=yes")
    print(f"\n==> pytest {' '.join(args)}".rstrip(), flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(argv, cwd=REPO, env=dict(env), stdout=subprocess.PIPE)  # noqa: S603
    assert proc.stdout is not None  # noqa: S101 - Popen(stdout=PIPE) always sets it
    tail = b""
    try:
        # Chunks, not lines: a --pdb prompt has no newline and must still show up.
        while chunk := os.read(proc.stdout.fileno(), 65536):
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            tail = (tail + chunk)[-16384:]
        code = proc.wait()
    except BaseException:
        # Interrupted: pytest must not outlive the database that is about to be stopped.
        proc.kill()
        proc.wait()
        raise
    plain = re.sub(rb"\x1b\[[0-9;]*m", b"", tail).decode("utf-8", "replace")
    detail = closing_line(plain) or ""
    if code == PYTEST_NO_TESTS_COLLECTED:
        detail = "no tests were collected"
    return Result("pytest", code, time.monotonic() - started, detail)


def check_steps(env: Mapping[str, str]) -> list[Result]:
    python = sys.executable
    deploy_env = {**env, **parse_env_file(REPO / ".env.example")}
    return [
        run_step("ruff check", [python, "-m", "ruff", "check", "."], env),
        run_step("ruff format --check", [python, "-m", "ruff", "format", "--check", "."], env),
        run_step("mypy", [python, "-m", "mypy", "."], env),
        run_step(
            "makemigrations --check",
            [python, "manage.py", "makemigrations", "--check", "--dry-run"],
            env,
        ),
        # check does not connect to the database or broker, so .env.example's hosts may not exist.
        run_step(
            "check --deploy (production settings, .env.example)",
            [python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            deploy_env,
        ),
    ]


def summarise(results: Sequence[Result]) -> None:
    print("\n==> summary", flush=True)
    for result in results:
        status = "ok  " if result.passed else "FAIL"
        detail = f"  {result.detail}" if result.detail else ""
        exit_code = "" if result.passed else f" (exit code {result.code})"
        print(f"  {status} {result.name}{exit_code} [{result.seconds:.1f}s]{detail}")
    failed = [result.name for result in results if not result.passed]
    print(f"./bin/test: {'FAILED: ' + ', '.join(failed) if failed else 'all steps passed'}")
    pytest_line = next((r.detail for r in results if r.name == "pytest" and r.detail), "")
    if pytest_line:
        # Last, so that whoever reads only the closing line sees pytest's own count.
        print(pytest_line, flush=True)


def run(pytest_args: Sequence[str]) -> int:
    with (
        devstack.exclusive(devstack.VAR / "test.lock", "./bin/test"),
        devstack.local_services(
            os.environ,
            pgdata=devstack.VAR / "test-pgdata",
            redis_db=devstack.VAR / "test-redis" / "redis.db",
            probe_local=True,
        ) as services,
    ):
        for note in services.notes:
            print(f"./bin/test: {note}", flush=True)
        env = {
            **os.environ,
            "DATABASE_URL": services.database_url,
            "CELERY_BROKER_URL": services.broker_url,
            # A shell that exported local settings must not make the suite run against them.
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
        }
        # With arguments this is a quick edit-test loop: pytest only, on the kept test database.
        # Without, the full run rebuilds the test database so edited migrations cannot hide.
        results = [] if pytest_args else check_steps(env)
        results.append(run_pytest(list(pytest_args) or ["--create-db"], env))
    summarise(results)
    return 0 if all(result.passed for result in results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    devstack.install_stop_handlers()
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except devstack.StopRequested as stop:
        print(f"./bin/test: interrupted ({stop})", flush=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
