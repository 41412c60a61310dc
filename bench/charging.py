"""Issue #7 item 2.4: the charging API under load — 16 concurrent clients through gunicorn for
30 s — beside two references measured in the same run on the same PostgreSQL:

- pgbench's built-in TPC-B-like script (`pgbench -i` on a scratch database, scale 16 so that
  16 clients do not all queue on one branch row);
- a minimal Django view under the same gunicorn doing pgbench's five statements by hand in
  one transaction (`bench/views.py`, mounted by `bench/settings.py`).

Target: charges per second at least half the minimal view's rate, and no overdraft: every
account charged still has a balance of at least zero equal to the sum of its entries.
The clients are threads of this process, the same for the view and the API."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection

from bench.core import Options, Row, register

CLIENTS = 16
SECONDS = 30.0
PGBENCH_SCALE = 16
KEY = "fp_bench_charging_api_key_not_secret_0001"  # noqa: S105 - bench data only
REPO = Path(__file__).resolve().parent.parent


@dataclass
class Load:
    """What the clients saw: latencies of answered requests, statuses, the wall time."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def hammer(
    port: int,
    make: Callable[[int, int], tuple[str, str, bytes, dict[str, str]]],
    *,
    clients: int,
    seconds: float,
) -> Load:
    """`clients` threads send requests back to back for `seconds`; make(thread, n) gives
    (method, path, body, headers) of each. A new connection per request (gunicorn's sync
    workers close every connection)."""
    load = Load()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(thread: int) -> None:
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        errors = n = 0
        while time.monotonic() < stop:
            method, path, body, headers = make(thread, n)
            n += 1
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
            except OSError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)
            statuses[response.status] += 1
        with lock:
            load.latencies += latencies
            load.statuses.update(statuses)
            load.errors += errors

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    return load


# --- the data the API needs: an institution with a key, patients with cards -----------------


@dataclass(frozen=True)
class Patient:
    id_number: str
    card: str
    account_id: int


def prepare(patients: int = 2000, hot: int = 8) -> tuple[list[Patient], list[Patient]]:
    """An institution (a pharmacy) with a known key and cards for patients who have money:
    `patients` charged small amounts, and `hot` more, charged large amounts by every client
    so that concurrent charges meet on the same accounts and run them dry."""
    from accounts.models import Agency, InsuredPerson, PersonalAccount
    from family_pool.charging.institutions import hash_key, institution_issue_key
    from family_pool.models import Binding, Institution, InsuranceCard

    agency = Agency.objects.filter(code__endswith="-01").order_by("pk").first()
    if agency is None:
        raise RuntimeError("No agency: generate the volume first (manage.py generate_volume).")
    institution, _created = Institution.objects.get_or_create(
        code="BENCH-PHARMACY",
        defaults={"name": "压测药房", "kind": Institution.Kind.PHARMACY, "region": agency.region},
    )
    if institution.api_key_hash != hash_key(KEY):
        institution_issue_key(institution=institution, key=KEY)
    accounts = (
        PersonalAccount.objects.filter(
            status=PersonalAccount.Status.NORMAL,
            enrollment__status="active",
            enrollment__scheme="employee",
        )
        .exclude(person__in=Binding.objects.values("relative"))
        .exclude(person__in=Binding.objects.values("holder"))
    )
    rich = list(accounts.filter(balance__gte=500).order_by("pk")[:patients])
    poor = list(accounts.filter(balance__gte=20, balance__lt=100).order_by("-pk")[:hot])
    chosen = rich + poor
    people = InsuredPerson.objects.in_bulk([a.person_id for a in chosen])
    InsuranceCard.objects.bulk_create(
        [InsuranceCard(person_id=a.person_id, number=f"BENCH{a.person_id}") for a in chosen],
        ignore_conflicts=True,
    )
    made = [Patient(people[a.person_id].id_number, f"BENCH{a.person_id}", a.pk) for a in chosen]
    return made[hot:], made[:hot]


def overdrafts(account_ids: list[int]) -> int:
    """Accounts charged that are below zero or differ from the sum of their entries."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM accounts_personalaccount a
            LEFT JOIN (
                SELECT account_id,
                       sum(CASE WHEN direction = 'credit' THEN amount ELSE -amount END) AS total
                FROM accounts_ledgerentry WHERE account_id = ANY(%s) GROUP BY account_id
            ) e ON e.account_id = a.id
            WHERE a.id = ANY(%s) AND (a.balance < 0 OR a.balance <> coalesce(e.total, 0))
            """,
            [account_ids, account_ids],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


# --- processes: pgbench and gunicorn ---------------------------------------------------------


def _pgbench() -> str:
    found = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    if not Path(found).exists():
        raise RuntimeError("pgbench not found (apt-get install postgresql-client)")
    return found


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": str(db.get("HOST") or "127.0.0.1")}
    env["PGPORT"] = str(db.get("PORT") or 5432)
    env["PGUSER"] = str(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def scratch_database() -> str:
    return f"{connection.settings_dict['NAME']}_pgbench"


def pgbench_init(scale: int) -> None:
    """A fresh scratch database with pgbench's tables (its history table starts empty)."""
    name = scratch_database()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(  # noqa: S603 - fixed argv
        [_pgbench(), "-i", "-q", "-s", str(scale), name],
        env=_pg_env(),
        check=True,
        capture_output=True,
    )


def pgbench_run(clients: int, seconds: float) -> tuple[float, float]:
    """(transactions per second, average latency in seconds) of the built-in script."""
    done = subprocess.run(  # noqa: S603 - fixed argv
        [_pgbench(), "-n", "-c", str(clients), "-j", "2", "-T", str(max(1, round(seconds)))]
        + [scratch_database()],
        env=_pg_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    tps = re.search(r"tps = ([\d.]+)", done.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
    if tps is None:
        raise RuntimeError(done.stdout + done.stderr)
    return float(tps.group(1)), float(latency.group(1)) / 1000 if latency else 0.0


def _url(name: str) -> str:
    db = connection.settings_dict
    user = quote(str(db.get("USER") or "postgres"), safe="")
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{db.get('PORT') or 5432}/{quote(name)}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """The portal under gunicorn with bench.settings: sync workers, as many as gunicorn's
    documentation advises (two per CPU, plus one)."""

    def __init__(self, workers: int) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": _url(str(connection.settings_dict["NAME"])),
            "BENCH_PGBENCH_URL": _url(scratch_database()),
            "BENCH_VIEWS": "true",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
        }
        argv = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
        argv += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)]
        argv += ["--no-control-socket", "--log-level", "warning"]
        self.log = Path(f"/tmp/bench-gunicorn-{self.port}.log")  # noqa: S108 - a log file
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our interpreter, fixed argv
                argv,
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text()[-3000:])
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login/")
                if conn.getresponse().status < 500:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in 60 s\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


# --- the benchmark ---------------------------------------------------------------------------


def _charges(patients: list[Patient], hot: list[Patient]) -> Callable[[int, int], Any]:
    run = uuid.uuid4().hex[:8]
    numbers = itertools.count()  # next() is atomic: every request its own settlement number
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"}

    def make(thread: int, n: int) -> tuple[str, str, bytes, dict[str, str]]:
        # One request in ten charges 50-300 yuan to the few accounts all clients share, which
        # runs them dry within seconds: concurrent charges then meet on an empty account.
        number = next(numbers)
        if hot and n % 10 == 0:
            patient, cents = hot[number % len(hot)], 5_000 + number % 25_000
        else:
            patient, cents = patients[(number * 7919) % len(patients)], 100 + number % 900
        body = {
            "id_number": patient.id_number,
            "card_number": patient.card,
            "amount": f"{Decimal(cents) / 100:.2f}",
            "category": "pharmacy",
            "settlement_number": f"B{run}-{number}",
        }
        return "POST", "/api/institutions/charges", json.dumps(body).encode(), headers

    return make


def _load_row(name: str, loads: list[Load], note: str, target: float | None = None) -> Row:
    per_call = [1 / load.rate for load in loads if load.rate]
    best = loads[len(loads) // 2]
    return Row(
        "2.4",
        name,
        statistics.median(per_call),
        min(per_call),
        max(per_call),
        target=target,
        note=(
            f"{statistics.median(load.rate for load in loads):.0f}/s; "
            f"p50 {best.percentile(0.5) * 1e3:.1f} ms, p99 {best.percentile(0.99) * 1e3:.1f} ms"
            + (f"; {note}" if note else "")
        ),
    )


@register("charging")
def charging(options: Options) -> list[Row]:
    seconds = max(1.0, SECONDS * options.scale)
    runs = max(1, min(options.repeat, 3))
    clients = CLIENTS
    patients, hot = prepare()
    pgbench_init(PGBENCH_SCALE)
    tps: list[float] = []
    view_loads: list[Load] = []
    api_loads: list[Load] = []
    server = Gunicorn(workers=2 * (os.cpu_count() or 1) + 1)
    try:
        tpcb: tuple[str, str, bytes, dict[str, str]] = (
            "POST",
            f"/bench/tpcb/?scale={PGBENCH_SCALE}",
            b"",
            {},
        )
        charges = _charges(patients, hot)
        hammer(server.port, lambda t, n: tpcb, clients=clients, seconds=min(3.0, seconds))
        hammer(server.port, charges, clients=clients, seconds=min(3.0, seconds))
        for _ in range(runs):
            tps.append(pgbench_run(clients, seconds)[0])
            view_loads.append(
                hammer(server.port, lambda t, n: tpcb, clients=clients, seconds=seconds)
            )
            api_loads.append(hammer(server.port, charges, clients=clients, seconds=seconds))
    finally:
        server.stop()
    accounts = [p.account_id for p in patients + hot]
    bad = overdrafts(accounts)
    statuses = sum((load.statuses for load in api_loads), Counter())
    view_rate = statistics.median(load.rate for load in view_loads)
    refused = sum(n for status, n in statuses.items() if status != 201)
    per_tps = [1 / t for t in tps]
    return [
        _load_row(
            f"charging API, {clients} clients through gunicorn",
            api_loads,
            f"{statuses[201]} charged, {refused} refused "
            f"({', '.join(f'{n}× {s}' for s, n in sorted(statuses.items()) if s != 201)}), "
            f"{bad} overdrawn or unbalanced accounts",
            target=2 / view_rate if view_rate else None,
        ),
        _load_row(
            "  reference: minimal Django view, pgbench's 5 statements",
            view_loads,
            "same gunicorn and clients",
        ),
        Row(
            "2.4",
            f"  reference: pgbench TPC-B-like, {clients} clients (scale {PGBENCH_SCALE})",
            statistics.median(per_tps),
            min(per_tps),
            max(per_tps),
            note=f"{statistics.median(tps):.0f} tps, no HTTP, no Python",
        ),
    ]
