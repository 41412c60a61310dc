"""File sizes, written one way on every page and in every message: 131 B, 1.3 KB, 10.0 MB.

Django's filesizeformat mixes its words in Chinese ("131 字节" beside "1.3 KB"); the unit
symbols B, KB, MB and GB read the same in Chinese and English."""

from __future__ import annotations

from django.utils.formats import number_format

UNITS = ("B", "KB", "MB", "GB")


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in UNITS:
        if value < 1024 or unit == UNITS[-1]:
            break
        value /= 1024
    if unit == "B":
        return f"{int(size)} B"
    return f"{number_format(round(value, 1), 1)} {unit}"
