"""Data among the portal's words: `{{ person.name|data }}`, and file sizes (`|file_size`).

A name, an agency or a region, a file name or a note someone typed is data, in whatever
language it was written: it is not translated with the page. The filter wraps it in a span
with `translate="no"` (browsers' and tools' translation leave it alone, and
tests/test_one_language.py does not hold it to the page's language) and, when it is written in
Chinese characters, `lang="zh-Hans"`, so that a screen reader reads a Chinese name on an
English page with a Chinese voice. Loaded for every template (TEMPLATES builtins)."""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from cases import units

register = template.Library()

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@register.filter(is_safe=True)
def data(value: object) -> SafeString | str:
    if value is None or value == "":
        return ""
    text = str(value)
    if HAN.search(text):
        return format_html('<span translate="no" lang="zh-Hans">{}</span>', text)
    return format_html('<span translate="no">{}</span>', text)


@register.filter
def file_size(value: int | None) -> str:
    """A file's size: `{{ document.size|file_size }}` (cases.units.file_size)."""
    return units.file_size(value)
