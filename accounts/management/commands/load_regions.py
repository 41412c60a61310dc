"""Load the current GB/T 2260 divisions from python-stdnum's list (stdnum/cn/loc.dat)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import stdnum.cn
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Region

# Names in loc.dat carry their validity: "[1983-]荔湾区" or "[1983-1986]郊区,[1987-]白云区".
_SPAN = re.compile(r"^\[(\d{4})?-(\d{4})?\](.+)$")
# Placeholders of the code list, not places anyone lives in or belongs to. loc.dat spells
# the "directly administered" ones 行政单位; the official list spells them 行政区划.
_PLACEHOLDERS = {
    "市辖区",
    "县",
    "省直辖县级行政区划",
    "自治区直辖县级行政区划",
    "省直辖县级行政单位",
    "自治区直辖县级行政单位",
}


def current_name(raw: str) -> str | None:
    """The name in force today, or None for a code that has been abolished."""
    for part in reversed(raw.split(",")):
        match = _SPAN.match(part)
        if match is None:
            return part
        if match.group(2) is None:
            return match.group(3)
    return None


def read_loc_dat(path: Path) -> dict[str, str]:
    regions: dict[str, str] = {}
    province = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _sep, rest = line.strip().partition(" ")
        raw = rest.split('"')[1]
        if not line.startswith(" "):
            province = key
            code = f"{key}0000"
        else:
            code = f"{province}{key}"
        name = current_name(raw)
        if name is not None:
            regions[code] = name
    return regions


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return Region.Level.PROVINCE
    if code.endswith("00"):
        return Region.Level.PREFECTURE
    return Region.Level.COUNTY


class Command(BaseCommand):
    help = "Load current GB/T 2260 regions (provinces, prefectures, counties) from python-stdnum."

    def handle(self, *args: Any, **options: Any) -> None:
        names = read_loc_dat(Path(stdnum.cn.__file__).parent / "loc.dat")
        wanted = {c: n for c, n in names.items() if n not in _PLACEHOLDERS}
        existing = {r.code: r for r in Region.objects.all()}
        with transaction.atomic():
            created, updated = self._save(wanted, existing)
        self.stdout.write(f"regions: {len(wanted)} current, {created} created, {updated} updated")

    def _save(self, wanted: dict[str, str], existing: dict[str, Region]) -> tuple[int, int]:
        created = updated = 0
        # Parents first, so that every child's parent row exists when it is written.
        rank = {
            str(Region.Level.PROVINCE): 0,
            str(Region.Level.PREFECTURE): 1,
            str(Region.Level.COUNTY): 2,
        }
        for code in sorted(wanted, key=lambda c: (rank[level_of(c)], c)):
            parent = self._parent_code(code, wanted)
            fields = {"name": wanted[code], "level": level_of(code), "parent_id": parent}
            row = existing.get(code)
            if row is None:
                Region.objects.create(code=code, **fields)
                created += 1
            elif any(getattr(row, k) != v for k, v in fields.items()):
                Region.objects.filter(code=code).update(**fields)
                updated += 1
        return created, updated

    @staticmethod
    def _parent_code(code: str, wanted: dict[str, str]) -> str | None:
        level = level_of(code)
        if level == Region.Level.PROVINCE:
            return None
        prefecture = f"{code[:4]}00"
        if level == Region.Level.COUNTY and prefecture in wanted:
            return prefecture
        return f"{code[:2]}0000" if f"{code[:2]}0000" in wanted else None
