"""Child processes in their own process groups, stopped together: what the tests' process
stacks (tests/scale, tests/faults) start, as on a machine of their own. ./bin/run leaves this
to honcho, which runs the Procfile the same way."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Long enough for a Celery worker to finish a short task, short enough for a test to wait.
STOP_GRACE_SECONDS = 10.0


def say(message: str) -> None:
    print(f"children: {message}", flush=True)


def _parent_death_hook() -> Callable[[], None] | None:
    """On Linux, have the kernel send SIGTERM to a child if this supervisor is killed -9."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def arm() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return arm


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]


def spawn(name: str, argv: Sequence[str], env: Mapping[str, str]) -> Child:
    # Its own process group: the terminal's Ctrl-C reaches only the supervisor, which stops
    # the children in order, and killpg() also reaches the Celery pool processes.
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        list(argv),
        cwd=REPO,
        env=dict(env),
        start_new_session=True,
        preexec_fn=_parent_death_hook(),  # noqa: PLW1509 - only calls prctl
    )
    return Child(name, proc)


def _signal_group(child: Child, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.proc.pid, signum)


def stop_children(children: Sequence[Child], grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM every child's group, wait up to grace seconds in all, then SIGKILL what is left."""
    running = [child for child in children if child.proc.poll() is None]
    for child in running:
        say(f"stopping {child.name} (pid {child.proc.pid})")
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in running:
        try:
            child.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{child.name} did not stop within {grace:.0f}s; killing it")
    for child in children:
        # Also reaches processes a child left behind, e.g. pool workers of a killed Celery.
        _signal_group(child, signal.SIGKILL)
        child.proc.wait()
