from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from accounts.management.commands.load_regions import current_name, level_of
from accounts.models import Region


def _load() -> str:
    out = io.StringIO()
    call_command("load_regions", stdout=out)
    return out.getvalue()


def _counts(output: str) -> tuple[int, int, int]:
    match = re.search(r"regions: (\d+) current, (\d+) created, (\d+) updated", output)
    assert match is not None, output
    current, created, updated = (int(g) for g in match.groups())
    return current, created, updated


@pytest.fixture
def first_run(db):
    assert not Region.objects.exists()
    return _load()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("[1983-]荔湾区", "荔湾区"),
        ("[-2010]崇文区", None),
        ("[1983-1986]郊区,[1987-]白云区", "白云区"),
        ("[1988-1988]慈利县", None),
        ("[1983-2003]新城区,[2004-]青秀区", "青秀区"),
        ("东城区", "东城区"),
    ],
)
def test_current_name_is_the_name_in_force_today_or_none_when_abolished(raw, expected):
    name = current_name(raw)

    assert name == expected


@pytest.mark.parametrize(
    ("code", "level"),
    [("440000", "province"), ("441900", "prefecture"), ("430702", "county")],
)
def test_the_level_follows_the_trailing_zeros_of_the_code(code, level):
    assert level_of(code) == level


def test_it_loads_a_prefecture_level_city_without_counties_under_its_province(first_run):
    dongguan = Region.objects.get(code="441900")

    assert (dongguan.name, dongguan.level) == ("东莞市", Region.Level.PREFECTURE)
    assert dongguan.parent_id == "440000"


def test_it_loads_a_county_under_its_prefecture(first_run):
    wuling = Region.objects.get(code="430702")

    assert (wuling.name, wuling.level) == ("武陵区", Region.Level.COUNTY)
    assert wuling.parent_id == "430700"
    assert Region.objects.get(code="430700").parent_id == "430000"


def test_a_district_of_a_municipality_hangs_from_the_municipality_not_a_placeholder(first_run):
    dongcheng = Region.objects.get(code="110101")

    assert (dongcheng.name, dongcheng.parent_id) == ("东城区", "110000")
    assert not Region.objects.filter(name__in=["市辖区", "县"]).exists()
    assert not Region.objects.filter(code="110100").exists()


def test_it_skips_abolished_codes(first_run):
    assert not Region.objects.filter(code="110103").exists()
    assert not Region.objects.filter(name="崇文区").exists()


def test_it_loads_the_current_name_of_a_renamed_code(first_run):
    assert Region.objects.get(code="440111").name == "白云区"


def test_every_parent_is_one_level_up_and_in_the_same_province(first_run):
    rows = Region.objects.exclude(level=Region.Level.PROVINCE).select_related("parent")

    orphans = [r.code for r in rows if r.parent is None]
    strangers = [r.code for r in rows if r.parent and r.parent.code[:2] != r.code[:2]]
    upside_down = [r.code for r in rows if r.parent and r.parent.level == r.level]

    assert (orphans, strangers, upside_down) == ([], [], [])


def test_the_counts_per_level_are_plausible(first_run):
    current, created, updated = _counts(first_run)

    assert created == current == Region.objects.count()
    assert updated == 0
    assert Region.objects.filter(level=Region.Level.PROVINCE).count() >= 30
    assert Region.objects.filter(level=Region.Level.PREFECTURE).count() >= 300
    assert Region.objects.filter(level=Region.Level.COUNTY).count() >= 2800


def test_a_second_run_creates_and_updates_nothing(first_run):
    before = Region.objects.count()

    again = _load()

    current, created, updated = _counts(again)
    assert (created, updated) == (0, 0)
    assert current == before == Region.objects.count()


def test_a_second_run_repairs_a_row_that_drifted(first_run):
    Region.objects.filter(code="441900").update(name="东莞", parent=None)

    again = _load()

    assert _counts(again)[1:] == (0, 1)
    dongguan = Region.objects.get(code="441900")
    assert (dongguan.name, dongguan.parent_id) == ("东莞市", "440000")


@pytest.mark.parametrize(
    ("code", "name", "province"),
    [
        ("419001", "济源市", "410000"),
        ("429004", "仙桃市", "420000"),
        ("469001", "五指山市", "460000"),
        ("659001", "石河子市", "650000"),
    ],
)
def test_a_county_level_city_directly_under_its_province_hangs_from_the_province(
    first_run, code, name, province
):
    city = Region.objects.get(code=code)

    assert (city.name, city.level, city.parent_id) == (name, Region.Level.COUNTY, province)
    assert not Region.objects.filter(code=f"{code[:4]}00").exists()
    assert not Region.objects.filter(name__contains="直辖县级").exists()
