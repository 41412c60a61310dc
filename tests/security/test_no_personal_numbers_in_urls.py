"""No ID number, bank card or phone number travels in a URL: a GET form puts its fields in the
query string, which proxies and access logs keep. Such fields go in POST forms only."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.DOTALL | re.IGNORECASE)
POST = re.compile(r"""method\s*=\s*["']?post""", re.IGNORECASE)
PERSONAL = re.compile(r"id_number|card|phone|mobile|bank_account", re.IGNORECASE)
# A field named in the markup, or rendered from the form by name ({{ form.id_number }}).
FIELD = re.compile(r"""name\s*=\s*["']?(?P<a>[\w-]+)|\{\{\s*form\.(?P<b>\w+)""")
# Renderers that print whatever fields the form has: what they print cannot be read here.
WHOLE_FORM = re.compile(r"\{\{\s*form\s*\}\}|\{%\s*include\s+[\"']accounts/_form\.html")


def _get_forms() -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(TEMPLATES)), match["body"])
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in FORM.finditer(path.read_text())
        if not POST.search(match["attrs"])
    ]


def test_no_get_form_has_an_id_card_or_phone_field():
    offending = [
        (name, field)
        for name, body in _get_forms()
        for found in FIELD.finditer(body)
        if PERSONAL.search(field := found["a"] or found["b"])
    ]

    assert offending == []


def test_no_get_form_renders_fields_it_does_not_name():
    blind = [name for name, body in _get_forms() if WHOLE_FORM.search(body)]

    assert blind == []


def test_the_scan_sees_the_queue_filters():
    assert "cases/queue.html" in [name for name, _body in _get_forms()]
