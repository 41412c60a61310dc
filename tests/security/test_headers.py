from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from scripts.checks import parse_env_file

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def _directives(header):
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def test_every_page_carries_a_csp_without_inline_scripts_and_the_other_headers(client):
    response = client.get(reverse("accounts:login"))

    csp = _directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_admin_carries_the_csp_too(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


# CSP is the rule for every template: JavaScript in static/ files, styles in static/css.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle\s*=|\son[a-z]+\s*=", re.IGNORECASE)


def test_no_template_has_an_inline_script_style_attribute_or_event_handler():
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for match in INLINE.finditer(path.read_text(encoding="utf-8"))
    ]

    assert offenders == []


def _production_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return {**env, **parse_env_file(ROOT / ".env.example")}


def test_production_settings_pass_the_deploy_check_with_the_example_environment():
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr


PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in [
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_AGE", "SESSION_SAVE_EVERY_REQUEST",
    "AXES_ENABLED", "STAFF_REQUIRE_OTP", "AXES_FAILURE_LIMIT",
]}))
"""


def test_production_turns_on_https_lockout_and_the_second_factor():
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_AGE": 1800,
        "SESSION_SAVE_EVERY_REQUEST": True,
        "AXES_ENABLED": True,
        "STAFF_REQUIRE_OTP": True,
        "AXES_FAILURE_LIMIT": 5,
    }
