"""The proof of docs/EXCHANGE.md: two complete deployments on this machine — two PostgreSQL
databases, two web servers, two Celery workers and beats, two sets of keys, each configured by
its environment and its peer registry — carry transfers between an agency of one and an agency
of the other, in both directions, also with the peer down for a while, a message delivered
twice and a message whose seal does not hold. After each: both ledgers balanced and each
clearing balance against the peer equal to the cases in transit.

A (东莞, 441900-01) and B (常德, 430700-01). Staff steps are taken in each deployment's own
process (tests/exchange/drive.py) through the services its pages call."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connections

from tests.scale.processes import REPO, free_port

pytestmark = pytest.mark.exchange

DONGGUAN, CHANGDE = "441900-01", "430700-01"
BROKERS = {"a": (4, 5), "b": (6, 7)}


def _admin_conninfo(name: str = "postgres") -> dict[str, Any]:
    db = settings.DATABASES["default"]
    return {
        "dbname": name,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "autocommit": True,
    }


@dataclass
class Deployment:
    name: str
    database: str
    port: int
    logs: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/exchange/inbox/"

    def start(self, what: str, argv: list[str]) -> None:
        log = (self.logs / f"{self.name}-{what}.log").open("ab")
        self.processes[what] = subprocess.Popen(  # noqa: S603 - our interpreter, fixed argv
            argv,
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_web(self) -> None:
        self.start(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--no-control-socket",
            ],
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/admin/login/", timeout=1)  # noqa: S310
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"{self.name} web did not start\n{self.tail('web')}")

    def stop(self, what: str) -> None:
        proc = self.processes.pop(what, None)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def tail(self, what: str) -> str:
        path = self.logs / f"{self.name}-{what}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def drive_started(self, command: str, **arg: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "tests.exchange.drive", command, json.dumps(arg)],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def drive(self, command: str, **arg: Any) -> dict[str, Any]:
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "tests.exchange.drive", command, json.dumps(arg)],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(**_admin_conninfo(self.database)) as conn:
            return conn.execute(sql, params).fetchall()

    def state(self, reference: str) -> str | None:
        rows = self.query("SELECT state FROM cases_case WHERE reference = %s", reference)
        return rows[0][0] if rows else None

    def wait_state(self, reference: str, state: str, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state(reference) == state:
                return
            time.sleep(0.3)
        logs = "\n".join(f"--- {w} ---\n{self.tail(w)}" for w in ("web", "worker", "beat"))
        raise AssertionError(
            f"{self.name}: {reference} is {self.state(reference)}, not {state}\n{logs}"
        )

    def assert_books(self) -> None:
        _assert_books(self)


def _assert_books(*deployments: Deployment) -> None:
    """Each deployment's books, checked in its own process, all at once."""
    started = [d.drive_started("books") for d in deployments]
    for proc in started:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        books = json.loads(out.strip().splitlines()[-1])
        assert books["ledger_total"] in ("0", "0.00"), books
        assert books["unbalanced"] == books["differences"] == 0, books
        assert books["in_transit_differences"] == {}, books


def _env(name: str, database: str, logs: Path) -> dict[str, str]:
    broker, cache = BROKERS[name]
    db = settings.DATABASES["default"]
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    url = f"postgres://{db.get('USER') or 'postgres'}@{host}/{database}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{broker}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{cache}",
        "CACHE_KEY_PREFIX": f"exchange-{name}",
        "BEAT_KEY_PREFIX": f"test:exchange:{name}:{uuid.uuid4().hex}:",
        "BEAT_LOCK_TTL_SECONDS": "3",
        "EXCHANGE_RETRY_SECONDS": "1",
        "EXCHANGE_RETRY_CAP_SECONDS": "2",
        "EXCHANGE_SWEEP_SECONDS": "1",
        "EXCHANGE_TIMEOUT_SECONDS": "5",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def deployments(
    django_db_setup, django_db_blocker, tmp_path
) -> Iterator[tuple[Deployment, Deployment]]:
    # After django_db_setup the connection names the test database itself (asking the
    # creation for a test name would prefix it a second time).
    template = connections["default"].settings_dict["NAME"]
    made = []
    with django_db_blocker.unblock():
        connections.close_all()
    with psycopg.connect(**_admin_conninfo()) as admin:
        for name in ("a", "b"):
            database = f"{template}_exchange_{name}"
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
            made.append(Deployment(name, database, free_port(), tmp_path))
    for broker, cache in BROKERS.values():
        for number in (broker, cache):
            redis.Redis(db=number).flushdb()
    for deployment in made:
        deployment.env = _env(deployment.name, deployment.database, tmp_path)
    a, b = made
    try:
        keys_a = a.drive("setup", local=[DONGGUAN])["keys"]
        keys_b = b.drive("setup", local=[CHANGDE])["keys"]
        a.drive("peer", agencies=[CHANGDE], url=b.url, keys=keys_b)
        b.drive("peer", agencies=[DONGGUAN], url=a.url, keys=keys_a)
        for deployment in made:
            deployment.start_web()
            deployment.start(
                "worker",
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--loglevel=INFO",
                    "--concurrency=1",
                    "--without-mingle",
                    "--without-gossip",
                ],
            )
            deployment.start(
                "beat", [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"]
            )
        yield a, b
    finally:
        for deployment in made:
            for what in list(deployment.processes):
                deployment.stop(what)
        with psycopg.connect(**_admin_conninfo()) as admin:
            for deployment in made:
                admin.execute(f'DROP DATABASE IF EXISTS "{deployment.database}" WITH (FORCE)')


def _people(a: Deployment, b: Deployment) -> tuple[list[str], str]:
    """Everyone the test moves, made in three calls: four people going A → B (stopped with a
    funded account at A, enrolled at B) and one going B → A."""
    ab = {"origin": DONGGUAN, "destination": CHANGDE}
    ba = {"origin": CHANGDE, "destination": DONGGUAN}
    to_b = a.drive("people", make=[{**ab, "side": "origin"}] * 4)["made"]
    made_b = b.drive(
        "people",
        make=[{**ba, "side": "origin"}]
        + [{**ab, "side": "destination", **person} for person in to_b],
    )["made"]
    to_a = made_b[0]
    a.drive("people", make=[{**ba, "side": "destination", **to_a}])
    return [str(person["id_number"]) for person in to_b], str(to_a["id_number"])


def _carry(
    origin: Deployment,
    destination: Deployment,
    origin_code: str,
    destination_code: str,
    id_number: str,
    *,
    before_out: Any = None,
    before_in: Any = None,
) -> str:
    reference = destination.drive(
        "apply", origin=origin_code, destination=destination_code, id_number=id_number
    )["reference"]
    origin.wait_state(reference, "applied")
    assert origin.drive("step", reference=reference, agency=origin_code, step="accept") == {
        "state": "accepted"
    }
    destination.wait_state(reference, "accepted")
    if before_out:
        before_out(reference)
    assert origin.drive("step", reference=reference, agency=origin_code, step="transfer_out") == {
        "state": "transferred_out"
    }
    destination.wait_state(reference, "transferred_out")
    _wait_balance(destination, reference)
    if before_in:
        before_in(reference)
    assert destination.drive(
        "step", reference=reference, agency=destination_code, step="transfer_in"
    ) == {"state": "transferred_in"}
    assert destination.drive(
        "step", reference=reference, agency=destination_code, step="credit", amount="1000.00"
    ) == {"state": "completed"}
    origin.wait_state(reference, "completed")
    return reference


def _wait_balance(deployment: Deployment, reference: str) -> None:
    deadline = time.monotonic() + 40
    sql = (
        "SELECT t.amount_in_transit FROM transfers_transfer t JOIN cases_case c "
        "ON c.id = t.case_id WHERE c.reference = %s"
    )
    while time.monotonic() < deadline:
        rows = deployment.query(sql, reference)
        if rows and rows[0][0] > 0:
            return
        time.sleep(0.3)
    raise AssertionError(f"the balance of {reference} did not arrive at {deployment.name}")


def _post(url: str, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 - the deployment's own http address
        url,
        data=json.dumps(envelope).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _outbound(deployment: Deployment, reference: str, kind: str) -> dict[str, Any]:
    rows = deployment.query(
        "SELECT m.envelope FROM transfers_outboundmessage m JOIN cases_case c ON c.id = m.case_id "
        "WHERE c.reference = %s AND m.kind = %s",
        reference,
        kind,
    )
    return rows[0][0]


def test_two_deployments_carry_transfers_both_ways_and_through_faults(deployments):
    a, b = deployments

    # 1. A → B, every step, each side's timeline and books.
    to_b, to_a = _people(a, b)
    first = _carry(a, b, DONGGUAN, CHANGDE, to_b[0])
    _assert_books(a, b)
    assert (
        b.query(
            "SELECT count(*) FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
            "WHERE c.reference = %s AND e.actor_label LIKE %s",
            first,
            "东莞医保%",
        )[0][0]
        >= 2
    )

    # 2. B → A.
    _carry(b, a, CHANGDE, DONGGUAN, to_a)
    _assert_books(a, b)

    # 3. A → B with B down while A transfers out: nothing lost, nothing doubled; then the
    #    credit message delivered a second time by hand is acknowledged and ignored.
    person = to_b[1]
    reference = b.drive("apply", origin=DONGGUAN, destination=CHANGDE, id_number=person)[
        "reference"
    ]
    a.wait_state(reference, "applied")
    a.drive("step", reference=reference, agency=DONGGUAN, step="accept")
    b.wait_state(reference, "accepted")
    b.stop("web")
    a.drive("step", reference=reference, agency=DONGGUAN, step="transfer_out")
    # A keeps trying while B is down (at least twice), and its books already hold the money.
    sql = (
        "SELECT coalesce(max(attempts), 0) FROM transfers_outboundmessage m JOIN cases_case c "
        "ON c.id = m.case_id WHERE c.reference = %s AND m.status = 'pending'"
    )
    deadline = time.monotonic() + 30
    while a.query(sql, reference)[0][0] < 2:
        assert time.monotonic() < deadline, "A did not retry while B was down"
        time.sleep(0.3)
    a.assert_books()
    b.start_web()
    b.wait_state(reference, "transferred_out")
    _wait_balance(b, reference)
    b.drive("step", reference=reference, agency=CHANGDE, step="transfer_in")
    b.drive("step", reference=reference, agency=CHANGDE, step="credit", amount="1000.00")
    a.wait_state(reference, "completed")
    credited = _outbound(b, reference, "credited")
    assert _post(a.url, credited) == (200, {"status": "duplicate", "reason": ""})
    balance_sent = _outbound(a, reference, "balance_sent")
    assert _post(b.url, balance_sent)[1]["status"] == "duplicate"
    # One arrival booked per transfer B received (the first and this one), none twice.
    assert (
        b.query(
            "SELECT count(*) FROM accounts_ledgertransaction WHERE idempotency_key LIKE %s",
            "exchange:%:arrived",
        )[0][0]
        == 2
    )
    _assert_books(a, b)

    # 4. A message whose seal does not hold: refused, and shown on B's exchange page.
    forged = {
        **credited,
        "id": str(uuid.uuid4()),
        "body": {**credited["body"], "amount": "9999.00"},
    }
    status, answer = _post(a.url, forged)
    assert status == 403
    assert answer["status"] == "refused"
    page = a.drive("exchange_page", agency=DONGGUAN)["html"]
    assert answer["reason"] in page
    _assert_books(a, b)

    # 5. Two messages in reverse order: A cannot reach B (a wrong address for a while), the
    #    balance-sent message reaches B before the 信息表 it depends on; B keeps it waiting and
    #    applies both when the table comes; A's own deliveries then arrive as duplicates.
    reference = _until_accepted(a, b, to_b[2])
    a.drive("peer", agencies=[CHANGDE], url=f"http://127.0.0.1:{free_port()}/exchange/inbox/")
    a.drive("step", reference=reference, agency=DONGGUAN, step="transfer_out")
    table, money = _outbound(a, reference, "info_table"), _outbound(a, reference, "balance_sent")
    assert _post(b.url, money)[0] == 202
    assert _post(b.url, table) == (200, {"status": "accepted", "reason": ""})
    assert b.state(reference) == "transferred_out"
    a.drive("peer", agencies=[CHANGDE], url=b.url)
    _wait_delivered(a, reference)
    b.drive("step", reference=reference, agency=CHANGDE, step="transfer_in")
    b.drive("step", reference=reference, agency=CHANGDE, step="credit", amount="1000.00")
    a.wait_state(reference, "completed")
    _assert_books(a, b)

    # 6. A 信息表 altered after it was sealed: the message is taken, the import refuses it;
    #    the money stays in transit at both ends, and both books still say so.
    reference = _until_accepted(a, b, to_b[3])
    a.drive("peer", agencies=[CHANGDE], url=f"http://127.0.0.1:{free_port()}/exchange/inbox/")
    a.drive("step", reference=reference, agency=DONGGUAN, step="transfer_out")
    assert _post(b.url, a.drive("forge", reference=reference))[1]["status"] == "accepted"
    a.drive("peer", agencies=[CHANGDE], url=b.url)
    _wait_delivered(a, reference)
    refused = b.drive("step", reference=reference, agency=CHANGDE, step="transfer_in")
    assert refused["refused"] == "seal_invalid"
    assert b.state(reference) == "transferred_out"
    _assert_books(a, b)


def _until_accepted(a: Deployment, b: Deployment, person: str) -> str:
    reference = str(
        b.drive("apply", origin=DONGGUAN, destination=CHANGDE, id_number=person)["reference"]
    )
    a.wait_state(reference, "applied")
    a.drive("step", reference=reference, agency=DONGGUAN, step="accept")
    b.wait_state(reference, "accepted")
    return reference


def _wait_delivered(deployment: Deployment, reference: str) -> None:
    sql = (
        "SELECT count(*) FROM transfers_outboundmessage m JOIN cases_case c ON c.id = m.case_id "
        "WHERE c.reference = %s AND m.status <> 'delivered'"
    )
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if deployment.query(sql, reference)[0][0] == 0:
            return
        time.sleep(0.3)
    raise AssertionError(f"{deployment.name} did not deliver every message of {reference}")
