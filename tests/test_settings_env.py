from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import StrictEnv

ROOT = Path(__file__).resolve().parent.parent


def test_a_bad_boolean_stops_start_up_naming_the_variable():
    env = {**os.environ, "DEBUG": "maybe", "DJANGO_SETTINGS_MODULE": "config.settings.local"}

    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("0", False), ("Off", False), ("YES", True)]
)
def test_booleans_are_read_in_their_usual_spellings(raw, expected):
    env = StrictEnv()
    env.ENVIRON = {"FLAG": raw}

    assert env.bool("FLAG") is expected


def test_a_malformed_number_names_the_variable():
    env = StrictEnv()
    env.ENVIRON = {"CONN_MAX_AGE": "sixty"}

    with pytest.raises(ImproperlyConfigured, match="CONN_MAX_AGE"):
        env.int("CONN_MAX_AGE")


def test_a_database_url_that_is_not_postgresql_is_refused():
    env = StrictEnv()
    env.ENVIRON = {"DATABASE_URL": "sqlite:///tmp/x.db"}

    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        env.db_url("DATABASE_URL")
