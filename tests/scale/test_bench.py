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
