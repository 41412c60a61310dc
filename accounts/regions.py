"""GB/T 2260 codes as places: a region holds every region whose code starts with its prefix."""

from __future__ import annotations


def region_prefix(code: str) -> str:
    """A GB/T 2260 code without its trailing zero pairs: 441900 → 4419, 440000 → 44. Every
    region inside this one starts with it."""
    prefix = code
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return prefix
