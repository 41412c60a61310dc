"""The benchmark scaffold runs and prints one table (tiny runs: figures are not checked)."""

from __future__ import annotations

import pytest

from bench.core import Options, Row, render
from bench.working_days import add_working_days_15, reference_add_working_days

pytestmark = pytest.mark.django_db


def test_the_reference_loop_skips_the_national_day_holiday():
    import datetime

    assert reference_add_working_days(datetime.date(2025, 9, 30), 1) == datetime.date(2025, 10, 9)


def test_the_working_days_benchmark_measures_the_fast_path_against_its_target():
    rows = add_working_days_15(Options(repeat=1, scale=0.01))

    fast = [row for row in rows if row.name.startswith("add_working_days(d, 15), one")]
    assert {row.clock for row in fast} == {"wall", "cpu"}
    assert [row.target for row in fast] == pytest.approx([20e-6, 20e-6])
    assert all(row.median > 0 for row in fast)
    assert any(row.name.startswith("reference") for row in rows)


def test_the_table_has_one_line_per_row_and_says_whether_a_target_is_met():
    rows = [
        Row("5", "fast", 10e-6, 9e-6, 12e-6, target=20e-6),
        Row("5", "slow", 2e-3, 1e-3, 3e-3, target=20e-6),
        Row("5", "reference", 400e-6, 390e-6, 410e-6, clock="cpu"),
    ]

    lines = render(rows).splitlines()

    assert len(lines) == 2 + len(rows)
    assert "meets" in lines[2]
    assert "10.0 µs" in lines[2]
    assert "MISSES" in lines[3]
    assert "2.00 ms" in lines[3]
    assert "cpu" in lines[4]


# --- the benchmarks of items 2.1-2.4 on a tiny generated volume --------------------------


@pytest.fixture
def volume(all_regions):
    import datetime

    from django.core.management import call_command

    call_command(
        "generate_volume", persons=1500, today=datetime.date(2026, 11, 27), seed=5, verbosity=0
    )


def test_the_page_benchmarks_time_views_against_raw_sql_with_their_query_counts(volume):
    from bench.pages import pages

    rows = pages(Options(repeat=1))

    views = [row for row in rows if row.target is not None]
    references = [row for row in rows if row.name.strip().startswith("reference")]
    queue = [row for row in views if row.name.startswith("work queue, ")]
    assert len(queue) == 3
    assert len({row.queries for row in queue}) == 1  # first page, deep page, no filter alike
    assert any(row.name.startswith("case page: transfer") for row in views)
    assert any(row.name.startswith("applicant's progress page") for row in views)
    assert any(row.name.startswith("dashboard (supervisor") for row in views)
    assert any(row.name.startswith("forecast, what if") for row in views)
    assert all(row.queries and row.median > 0 for row in views)
    assert len(references) >= 6


def test_the_sweep_benchmark_repeats_on_rolled_back_data_and_grows_the_table_tenfold(volume):
    from bench.sweep import sweep
    from cases.models import Deadline, DeadlineReminder

    before = (Deadline.objects.count(), DeadlineReminder.objects.count())

    rows = sweep(Options(repeat=1))

    sweeps = [row for row in rows if row.name.startswith("deadline sweep")]
    assert len(sweeps) == 2
    small, large = (int(row.note.split(" of ")[1].split()[0]) for row in sweeps)
    assert large >= 9 * small
    assert sweeps[0].queries == sweeps[1].queries  # the cost follows the due rows
    assert (Deadline.objects.count(), DeadlineReminder.objects.count()) == before


def test_the_load_clients_give_every_charge_its_own_settlement_number():
    import json

    from bench.charging import Patient, _charges

    make = _charges([Patient("110101199001011234", "C1", 1)], [Patient("x", "C2", 2)])

    bodies = [json.loads(make(t, n)[2]) for t in range(4) for n in range(30)]

    assert len({b["settlement_number"] for b in bodies}) == len(bodies)
    assert {b["card_number"] for b in bodies} == {"C1", "C2"}


def test_the_load_clients_count_answers_per_status_over_the_run():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from bench.charging import hammer

    class Created(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server hook's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Created)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        load = hammer(
            server.server_address[1], lambda t, n: ("POST", "/", b"{}", {}), clients=4, seconds=0.5
        )
    finally:
        server.shutdown()

    assert load.statuses[201] == len(load.latencies) > 10
    assert load.rate > 0
    assert 0 < load.percentile(0.5) <= load.percentile(0.99)
